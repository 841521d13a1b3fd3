/**
 * What a state snapshot produces and where it writes: the contract between the state
 * backends (which decide what to write) and checkpoint storage (which decides where,
 * names files, checksums them and reads them back).
 */
import type { BackendKind, CheckpointMode } from '../base/kinds.js';

/** One file in checkpoint storage, as recorded in a checkpoint's metadata. */
export interface StateFileRef {
  /** Path relative to the job's checkpoint folder, '/'-separated: `chk-<id>/…` or `shared/…`. */
  path: string;
  bytes: number;
  /** SHA-256 of the file's bytes, lowercase hex. */
  sha256: string;
  /** Entries (upserts and tombstones) in the file. */
  entries: number;
  /** Of them, tombstones (absent in files of checkpoints taken before they were counted). */
  deletions?: number;
}

/** The keyed state of one subtask in one checkpoint. */
export interface KeyedStateHandle {
  backend: BackendKind;
  /** 'full': files[0] is the whole state. 'incremental': files[0] is a base, the rest deltas applied in order. */
  mode: CheckpointMode;
  /** Key groups the state covers (inclusive). */
  keyGroups: { start: number; end: number };
  files: StateFileRef[];
  /** Paths of the files this checkpoint wrote; the others it shares with earlier checkpoints. */
  written: string[];
  /** Entries across the files it stands on (a key written in several deltas counts once per file). */
  entries: number;
}

/** Where files go: `exclusive` files belong to one checkpoint, `shared` ones may be reused by later checkpoints. */
export type FileScope = 'exclusive' | 'shared';

/** A file being written into checkpoint storage. */
export interface StateFileWriter {
  /** Path relative to the job's checkpoint folder (known before the file is complete). */
  readonly path: string;
  /** Appends bytes; the promise settles once the chunk is handed to the OS, so awaiting it bounds memory. */
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes, fsyncs and closes; returns the file's reference with size and checksum. */
  close(entries: number, deletions?: number): Promise<StateFileRef>;
  /** Closes and deletes the partial file. Safe to call at any time, also after close(). */
  discard(): Promise<void>;
}

/** The storage a subtask's snapshot writes into for one checkpoint. */
export interface SnapshotTarget {
  readonly checkpointId: number;
  /** A new file with a unique name; `label` (e.g. `full`, `base`, `delta`) makes the name readable. */
  createFile(scope: FileScope, label: string): Promise<StateFileWriter>;
}

/** Reads checkpoint files back, verifying size and checksum. */
export interface StateFileSource {
  /** The file's bytes in chunks; throws CorruptCheckpointError if it is missing or its size or checksum differ. */
  read(ref: StateFileRef): AsyncIterable<Uint8Array>;
}

/** A snapshot whose synchronous part is done; run() performs the asynchronous copy. */
export interface AsyncSnapshot {
  /** Writes the files; resolves with the handle. Rejects (after removing partial files) if cancelled. */
  run(): Promise<KeyedStateHandle>;
  /** Stops the copy; partial files are removed by run(). */
  cancel(reason: string): void;
}
