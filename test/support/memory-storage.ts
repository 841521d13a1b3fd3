/**
 * Checkpoint storage in memory for backend tests: a SnapshotTarget per checkpoint and a
 * StateFileSource that checks size and SHA-256 on read, like the real storage. It records
 * which files were created and discarded, and can corrupt a file on request.
 */
import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FileScope, SnapshotTarget, StateFileRef, StateFileSource, StateFileWriter } from '../../backends/snapshot.js';
import { CorruptCheckpointError } from '../../base/errors.js';

/** A complete file as stored. */
export interface StoredFile {
  bytes: Buffer;
  sha256: string;
  entries: number;
}

/** Options of MemoryStorage. */
export interface MemoryStorageOptions {
  /** Size of the chunks read() yields; odd sizes make entries span chunks. */
  readChunk?: number;
  /** Let writes settle on a later event-loop turn, as a real file would. */
  asyncWrites?: boolean;
}

/** In-memory checkpoint storage. */
export class MemoryStorage implements StateFileSource {
  /** Closed files by path. */
  readonly files = new Map<string, StoredFile>();
  /** Every path a writer was created for, in order. */
  readonly created: string[] = [];
  /** Every path whose writer was discarded. */
  readonly discarded: string[] = [];
  /** Bytes written through all writers. */
  bytesWritten = 0;
  private serial = 0;
  private readonly readChunk: number;
  private readonly asyncWrites: boolean;

  constructor(opts: MemoryStorageOptions = {}) {
    this.readChunk = opts.readChunk ?? 64 * 1024 + 7;
    this.asyncWrites = opts.asyncWrites ?? true;
  }

  /** The target for one checkpoint's snapshot. */
  target(checkpointId: number): SnapshotTarget {
    return { checkpointId, createFile: async (scope, label) => this.createWriter(checkpointId, scope, label) };
  }

  async *read(ref: StateFileRef): AsyncIterable<Uint8Array> {
    const file = this.files.get(ref.path);
    if (!file) throw new CorruptCheckpointError(ref.path, 'file is missing');
    if (file.bytes.length !== ref.bytes) throw new CorruptCheckpointError(ref.path, `has ${file.bytes.length} bytes, expected ${ref.bytes}`);
    if (sha256(file.bytes) !== ref.sha256) throw new CorruptCheckpointError(ref.path, 'checksum mismatch');
    for (let pos = 0; pos < file.bytes.length; pos += this.readChunk) {
      // Fresh memory per chunk, as a file stream gives.
      yield Buffer.from(file.bytes.subarray(pos, pos + this.readChunk));
    }
  }

  /** Flips one byte of a stored file, leaving its recorded checksum stale. */
  corrupt(path: string, at = 20): void {
    const file = this.files.get(path);
    if (!file) throw new Error(`no file ${path}`);
    file.bytes[Math.min(at, file.bytes.length - 1)] ^= 0xff;
  }

  /** Replaces a file's bytes and checksum, so only the parser can notice what is wrong. */
  replace(path: string, bytes: Buffer): StateFileRef {
    const file = this.files.get(path);
    if (!file) throw new Error(`no file ${path}`);
    const stored = { bytes, sha256: sha256(bytes), entries: file.entries };
    this.files.set(path, stored);
    return { path, bytes: bytes.length, sha256: stored.sha256, entries: file.entries };
  }

  private createWriter(checkpointId: number, scope: FileScope, label: string): StateFileWriter {
    const path = scope === 'exclusive' ? `chk-${checkpointId}/${label}-${++this.serial}.sfs` : `shared/${label}-${++this.serial}.sfs`;
    this.created.push(path);
    const parts: Buffer[] = [];
    let state: 'open' | 'closed' | 'discarded' = 'open';
    return {
      path,
      write: async (chunk) => {
        if (state !== 'open') throw new Error(`write to ${state} file ${path}`);
        parts.push(Buffer.from(chunk));
        this.bytesWritten += chunk.length;
        if (this.asyncWrites) await nextTurn();
      },
      close: async (entries) => {
        if (state !== 'open') throw new Error(`close of ${state} file ${path}`);
        state = 'closed';
        const bytes = Buffer.concat(parts);
        const stored = { bytes, sha256: sha256(bytes), entries };
        this.files.set(path, stored);
        return { path, bytes: bytes.length, sha256: stored.sha256, entries };
      },
      discard: async () => {
        state = 'discarded';
        this.files.delete(path);
        this.discarded.push(path);
      },
    };
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
