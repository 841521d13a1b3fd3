/**
 * Channels between actors on the same thread. Messages go through the same codec as
 * the port channels (so a record that cannot cross a thread fails here too) and are
 * delivered asynchronously, in order, like port messages.
 */
import { ChannelError, type ErrorOrigin } from './errors.js';
import { CreditReturner, decode, encode, type InputChannel, type OutputChannel, type WireMessage } from './channel.js';
import type { DataMessage } from './protocol.js';

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

/** Both ends of an in-memory channel. */
export interface MemoryChannelPair {
  output: OutputChannel;
  input: InputChannel;
}

/** Creates a connected in-memory channel with the given credit window. */
export function memoryChannel(window: number, origin: ErrorOrigin): MemoryChannelPair {
  const down = new Mailbox<WireMessage>();
  const up = new Mailbox<number>();
  let available = window;
  let inputClosed = false;
  let outputClosed = false;
  let creditFn: () => void = () => {};
  up.listen((n) => {
    if (outputClosed) return;
    available += n;
    creditFn();
  });
  const returner = new CreditReturner(window, (n) => {
    if (!inputClosed) up.post(n);
  });
  const output: OutputChannel = {
    send(msg) {
      if (outputClosed || inputClosed) throw new ChannelError(origin, `cannot send ${msg.kind}: the receiving end is closed`);
      if (msg.kind === 'batch') {
        if (available <= 0) throw new ChannelError(origin, 'batch sent without credit');
        available--;
      }
      down.post(encode(msg, origin));
    },
    credits: () => available,
    inFlight: () => window - available,
    onCredit(fn) {
      creditFn = fn;
    },
    close() {
      outputClosed = true;
    },
  };
  const input: InputChannel = {
    onMessage(fn) {
      down.listen((wire) => {
        if (!inputClosed) fn(decode(wire));
      });
    },
    onClose() {},
    release: () => returner.release(),
    close() {
      inputClosed = true;
    },
  };
  return { output, input };
}
