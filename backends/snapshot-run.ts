/**
 * The asynchronous part of a snapshot, shared by both backends: cancellation, files
 * created through the target (and discarded again if the copy does not finish), chunk
 * writes awaited so that memory stays bounded, and a yield to the event loop now and
 * then so the actor keeps processing records while the copy runs.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { CheckpointError } from '../base/errors.js';
import type { AsyncSnapshot, FileScope, KeyedStateHandle, SnapshotTarget, StateFileRef, StateFileWriter } from './snapshot.js';
import { CHUNK_BYTES, StateFileEncoder } from './format/state-file.js';
import { ChunkPool } from './format/chunk-pool.js';

/** Entries copied between two yields to the event loop. */
export const ENTRIES_PER_YIELD = 4096;

/**
 * This thread's file chunks: each write settles once its chunk is handed to the system, so a
 * few chunks serve every file the thread's subtasks write, two each while one fills and one writes.
 */
const FILE_CHUNKS = new ChunkPool(CHUNK_BYTES, 4);

/** One state file being written: an encoder whose full chunks go to the writer. */
export class FileOut {
  private readonly encoder: StateFileEncoder;

  constructor(private readonly writer: StateFileWriter) {
    // A writer's promise settles once the chunk is handed to the system (StateFileWriter): the chunk is free again then.
    this.encoder = new StateFileEncoder((chunk) => writer.write(chunk), FILE_CHUNKS);
  }

  /** Bytes produced so far. */
  get bytes(): number {
    return this.encoder.bytes;
  }

  /** Adds an entry (a string key is its bytes as latin1); await the promise, if any, before adding more. */
  add(key: Uint8Array | string, value: Uint8Array | null): void | Promise<void> {
    return this.encoder.add(key, value);
  }

  /** Adds an upsert of `len` bytes of `src` from `at`, as add() does. */
  addFrom(key: Uint8Array | string, src: Uint8Array, at: number, len: number): void | Promise<void> {
    return this.encoder.addFrom(key, src, at, len);
  }

  /** Writes the last chunk and closes the file. */
  async close(): Promise<StateFileRef> {
    await this.encoder.finish();
    return this.writer.close(this.encoder.entries, this.encoder.tombstones);
  }
}

/** Cancellation and created files of one snapshot's copy. */
export class SnapshotRun {
  private readonly writers: StateFileWriter[] = [];
  private cancelReason: string | undefined;
  private sinceYield = 0;

  constructor(readonly checkpointId: number, private readonly target: SnapshotTarget) {}

  /** Marks the copy cancelled; it stops at its next check. */
  cancel(reason: string): void {
    this.cancelReason ??= reason;
  }

  /** Throws if the snapshot was cancelled. */
  check(): void {
    if (this.cancelReason !== undefined) throw new CheckpointError(this.checkpointId, `snapshot cancelled: ${this.cancelReason}`);
  }

  /** Creates a file that is discarded again if the copy fails. */
  async createWriter(scope: FileScope, label: string): Promise<StateFileWriter> {
    this.check();
    const writer = await this.target.createFile(scope, label);
    this.writers.push(writer);
    this.check();
    return writer;
  }

  /** Creates a file to be filled entry by entry. */
  async createFile(scope: FileScope, label: string): Promise<FileOut> {
    return new FileOut(await this.createWriter(scope, label));
  }

  /** Counts an entry copied; every ENTRIES_PER_YIELD entries returns a pause (await it) that lets the actor run. */
  tick(): Promise<void> | undefined {
    if (++this.sinceYield < ENTRIES_PER_YIELD) return undefined;
    this.sinceYield = 0;
    return yieldToLoop().then(() => this.check());
  }

  /** Awaits a pending chunk write, then checks for cancellation. */
  async settle(pending: Promise<void>): Promise<void> {
    await pending;
    this.check();
  }

  /** Deletes every file this copy created. */
  async discardAll(): Promise<void> {
    await Promise.allSettled(this.writers.map((w) => w.discard()));
  }
}

/** What a backend supplies to make an AsyncSnapshot. */
export interface SnapshotJob {
  checkpointId: number;
  target: SnapshotTarget;
  /** Copies the consistent view into files and returns the handle. */
  copy(run: SnapshotRun): Promise<KeyedStateHandle>;
  /** Frees what the synchronous part held (a read transaction, encoded chunks); called exactly once. */
  release(): void;
  /** Called with the handle once the copy succeeded. */
  done?(handle: KeyedStateHandle): void;
}

/** Wraps a backend's copy as an AsyncSnapshot: run once, discard partial files on cancel or error. */
export function makeAsyncSnapshot(job: SnapshotJob): AsyncSnapshot & { readonly settled: Promise<unknown> } {
  const run = new SnapshotRun(job.checkpointId, job.target);
  let released = false;
  let started = false;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const release = (): void => {
    if (released) return;
    released = true;
    job.release();
  };
  return {
    settled,
    async run(): Promise<KeyedStateHandle> {
      if (started) throw new Error(`snapshot ${job.checkpointId}: run() was already called`);
      started = true;
      try {
        run.check();
        const handle = await job.copy(run);
        run.check();
        job.done?.(handle);
        return handle;
      } catch (err) {
        await run.discardAll();
        throw err;
      } finally {
        release();
        settle();
      }
    },
    cancel(reason: string): void {
      run.cancel(reason);
      // Without a run() to release it, the view would be held until the backend is disposed.
      if (!started) {
        release();
        settle();
      }
    },
  };
}
