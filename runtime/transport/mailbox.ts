/**
 * An in-memory stand-in for a MessagePort's delivery: items arrive on a later turn of the
 * event loop, in order, once someone listens, and a waiting item can be taken synchronously
 * (as receiveMessageOnPort does).
 */

/** Delivers queued items on a later turn of the event loop, preserving order, once someone listens. */
export class Mailbox<T> {
  private queue: T[] = [];
  private scheduled = false;
  private handler: ((item: T) => void) | null = null;

  /** Sets the receiver; items posted before it was set are delivered then, as a port delivers them. */
  listen(handler: (item: T) => void): void {
    this.handler = handler;
    this.schedule();
  }

  /** Queues an item for delivery. */
  post(item: T): void {
    this.queue.push(item);
    this.schedule();
  }

  /** Removes and returns the oldest undelivered item, if any, without waiting for delivery. */
  take(): T | undefined {
    return this.queue.shift();
  }

  private schedule(): void {
    if (!this.scheduled && this.handler && this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    if (!this.handler) return;
    const items = this.queue;
    this.queue = [];
    for (const item of items) this.handler(item);
  }
}
