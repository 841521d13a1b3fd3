/**
 * File chunks kept for reuse on one thread. A checkpoint writes its files through chunks of a
 * megabyte; a fresh one per chunk is fresh memory, which the system maps in page by page on
 * first write and takes back once the chunk is collected, so every checkpoint paid again for
 * the pages of every megabyte it wrote. A chunk whose write has settled is free again: the
 * next file on the thread fills it.
 */

/** Chunks of one size, at most `keep` of them idle. */
export class ChunkPool {
  private readonly idle: Buffer[] = [];

  constructor(readonly chunkBytes: number, private readonly keep: number) {}

  /** An idle chunk, or a new one. */
  take(): Buffer {
    return this.idle.pop() ?? Buffer.allocUnsafe(this.chunkBytes);
  }

  /** Takes back a chunk nothing reads or writes any more; one of another size, or beyond `keep`, is left to the collector. */
  give(chunk: Buffer): void {
    if (chunk.length === this.chunkBytes && this.idle.length < this.keep) this.idle.push(chunk);
  }

  /** Chunks idle now. */
  get size(): number {
    return this.idle.length;
  }
}
