/**
 * Channels over a MessagePort pair: data flows one way, credit (a plain number) the
 * other way on the same port pair. Used between actors on different worker threads.
 */
import type { MessagePort } from 'node:worker_threads';
import { ChannelError, type ErrorOrigin, errorMessage } from '../../base/errors.js';
import type { InputChannel, OutputChannel } from './channel.js';
import { decode, encode, transferables, type WireMessage } from './codec.js';
import { CreditReturner, CreditWindow } from './credit.js';
import type { DataMessage } from './protocol.js';

/** Sending end over a MessagePort; fails loudly if the receiver is gone. */
export class PortOutputChannel implements OutputChannel {
  private readonly credit: CreditWindow;
  private closed = false;
  private peerGone = false;
  private creditFn: () => void = () => {};
  private batchSizeFn: (records: number) => void = () => {};

  constructor(private readonly port: MessagePort, window: number, private readonly origin: ErrorOrigin) {
    this.credit = new CreditWindow(window, origin);
    // Upstream messages are credit (a number) or a batch size the receiver asks for.
    port.on('message', (m: number | { batchSize: number }) => {
      if (typeof m !== 'number') {
        this.batchSizeFn(m.batchSize);
        return;
      }
      this.credit.grant(m);
      this.creditFn();
    });
    port.on('close', () => {
      this.peerGone = true;
    });
  }

  send(msg: DataMessage): void {
    if (this.closed || this.peerGone) throw new ChannelError(this.origin, `cannot send ${msg.kind}: the receiving end is closed`);
    if (msg.kind === 'batch') this.credit.spend();
    const wire = encode(msg, this.origin);
    try {
      this.port.postMessage(wire, transferables(wire));
    } catch (err) {
      throw new ChannelError(this.origin, `postMessage failed: ${errorMessage(err)}`, err);
    }
  }

  credits(): number {
    return this.credit.credits;
  }

  inFlight(): number {
    return this.credit.inFlight;
  }

  onCredit(fn: () => void): void {
    this.creditFn = fn;
  }

  onBatchSize(fn: (records: number) => void): void {
    this.batchSizeFn = fn;
  }

  close(): void {
    this.closed = true;
    this.port.close();
  }
}

/** Receiving end over a MessagePort. */
export class PortInputChannel implements InputChannel {
  private readonly returner: CreditReturner;
  private closeFn: () => void = () => {};
  private closed = false;
  private ended = false;

  constructor(private readonly port: MessagePort, window: number) {
    this.returner = new CreditReturner(window, (n) => {
      if (!this.closed) port.postMessage(n);
    });
    port.on('close', () => {
      if (!this.closed && !this.ended) this.closeFn();
    });
  }

  onMessage(fn: (msg: DataMessage) => void): void {
    this.port.on('message', (wire: WireMessage) => {
      const msg = decode(wire);
      if (msg.kind === 'end') this.ended = true;
      fn(msg);
    });
  }

  onClose(fn: () => void): void {
    this.closeFn = fn;
  }

  release(): void {
    this.returner.release();
  }

  announceBatchSize(records: number): void {
    if (!this.closed) this.port.postMessage({ batchSize: records });
  }

  close(): void {
    this.closed = true;
    this.port.close();
  }
}
