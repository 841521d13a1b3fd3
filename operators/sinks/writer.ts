/**
 * Text output with backpressure for sinks: lines written during one turn of the event
 * loop go out in a single write, and a stream whose buffer is full blocks the actor
 * (through StreamOperator.blocked) instead of growing in memory.
 */
import type { Writable } from 'node:stream';

/** Coalesces writes to a Writable and reports its backpressure and errors. */
export class BufferedWriter {
  private chunks: string[] = [];
  private size = 0;
  private scheduled = false;
  private draining: Promise<void> | null = null;
  private error: Error | null = null;

  private readonly onStreamError = (err: Error) => {
    this.error = err;
  };

  constructor(private readonly stream: Writable, private readonly flushBytes = 64 * 1024) {
    stream.on('error', this.onStreamError);
  }

  /** Stops listening to the stream (which may be shared, like process.stdout). */
  detach(): void {
    this.stream.off('error', this.onStreamError);
  }

  /** Queues text; it is written at the end of this event-loop turn or when enough piles up. */
  write(text: string): void {
    if (this.error) throw this.error;
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= this.flushBytes) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** A promise while the stream is full; rejects if the stream failed. */
  blocked(): Promise<void> | null {
    if (this.error) return Promise.reject(this.error);
    return this.draining;
  }

  /** Writes what is queued now. */
  flush(): void {
    this.scheduled = false;
    if (this.chunks.length === 0 || this.error || this.stream.destroyed) return;
    const text = this.chunks.length === 1 ? this.chunks[0] : this.chunks.join('');
    this.chunks = [];
    this.size = 0;
    if (!this.stream.write(text) && !this.draining) {
      this.draining = new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          this.draining = null;
          if (err) reject(err);
          else resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('error', done);
      });
      // The error is also kept in this.error and rethrown by write/blocked/finish; an unobserved
      // rejection here would otherwise crash the process before the actor gets to see it.
      this.draining.catch(() => {});
    }
  }

  /** Releases a stream this writer owns without flushing (after a failure); it keeps listening, as late writes still fail. */
  destroy(): void {
    this.chunks = [];
    if (!this.stream.destroyed) this.stream.destroy();
  }

  /** Flushes and, when `end` is set, ends the stream and waits until it is fully written. */
  async finish(end: boolean): Promise<void> {
    this.flush();
    if (this.draining) await this.draining;
    if (this.error) throw this.error;
    if (!end) return;
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
    if (this.error) throw this.error;
  }
}
