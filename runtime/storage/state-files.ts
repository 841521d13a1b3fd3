/**
 * One state file in checkpoint storage, both ways: written durably with its SHA-256 taken on
 * the way (fsynced, and its folder too), and read back in chunks that are checked against the
 * size and checksum the metadata recorded.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StateFileRef, StateFileWriter } from '../../backends/snapshot.js';
import { CheckpointError, CorruptCheckpointError, errorMessage } from '../../base/errors.js';
import { fsyncDir, ignoreEnoent } from './fs-util.js';

const READ_CHUNK = 1 << 20;

/** The bytes of the state file at `abs` in chunks, checked against `ref`; the checksum can only be judged once the last chunk is read. */
export async function* readVerified(abs: string, ref: StateFileRef): AsyncIterable<Uint8Array> {
  const st = await ignoreEnoent(fsp.stat(abs));
  if (!st) throw new CorruptCheckpointError(abs, 'the file is missing');
  if (st.size !== ref.bytes) throw new CorruptCheckpointError(abs, `${st.size} bytes on disk, ${ref.bytes} expected`);
  const hash = createHash('sha256');
  let total = 0;
  const h = await fsp.open(abs, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      const n = (await h.read(buf, 0, READ_CHUNK, null)).bytesRead;
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      total += n;
      yield buf.subarray(0, n);
    }
  } finally {
    await h.close();
  }
  if (total !== ref.bytes) throw new CorruptCheckpointError(abs, `read ${total} bytes, ${ref.bytes} expected`);
  const digest = hash.digest('hex');
  if (digest !== ref.sha256) throw new CorruptCheckpointError(abs, `SHA-256 ${digest} differs from ${ref.sha256} in the metadata`);
}

/** Writes one state file; writes are queued because FileHandle.write must not overlap on one handle. */
export class FileWriter implements StateFileWriter {
  private queue: Promise<void> = Promise.resolve();
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private failure: Error | undefined;
  private closing: Promise<StateFileRef> | undefined;
  private discarding: Promise<void> | undefined;
  constructor(readonly path: string, private readonly abs: string, private handle: FileHandle | undefined, private readonly checkpointId: number) {}

  write(chunk: Uint8Array): Promise<void> {
    if (this.closing || this.discarding) return Promise.reject(new Error(`write to ${this.abs} after close or discard`));
    // Not copied: the caller awaits each write before reusing its buffer, as the contract asks.
    this.queue = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      for (let off = 0; off < chunk.length;) off += (await this.handle!.write(chunk, off, chunk.length - off)).bytesWritten;
      this.hash.update(chunk);
      this.bytes += chunk.length;
    }).catch((err: unknown) => {
      throw (this.failure ??= new CheckpointError(this.checkpointId, `writing ${this.abs}: ${errorMessage(err)}`));
    });
    return this.queue;
  }

  close(entries: number, deletions = 0): Promise<StateFileRef> {
    if (this.discarding) return Promise.reject(new Error(`close of ${this.abs} after discard`));
    this.closing ??= (async () => {
      await this.queue.catch(() => undefined);
      if (this.failure) throw this.failure;
      try {
        await this.handle!.sync();
        await this.handle!.close();
        this.handle = undefined;
        await fsyncDir(dirname(this.abs));
      } catch (err) {
        throw new CheckpointError(this.checkpointId, `closing ${this.abs}: ${errorMessage(err)}`);
      }
      return { path: this.path, bytes: this.bytes, sha256: this.hash.digest('hex'), entries, deletions };
    })();
    return this.closing;
  }

  discard(): Promise<void> {
    this.discarding ??= (async () => {
      await this.queue.catch(() => undefined);
      await this.closing?.catch(() => undefined);
      await this.handle?.close().catch(() => undefined);
      this.handle = undefined;
      await ignoreEnoent(fsp.unlink(this.abs));
    })();
    return this.discarding;
  }
}
