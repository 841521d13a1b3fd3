/**
 * The channel layer: the only code that turns protocol messages into bytes and back.
 * A channel is one producer subtask → one consumer subtask, with credit-based flow
 * control: the consumer grants a bounded number of batch credits, a producer without
 * credit must hold its batches, and the stall propagates back to the sources.
 */
import { Packr } from 'msgpackr';
import type { BarrierMessage, DataMessage } from './protocol.js';
import { RecordEncodingError, type ErrorOrigin } from './errors.js';

/** Sending end of a data channel. */
export interface OutputChannel {
  /** Sends a message in order. A batch consumes one credit; callers check credits() first. */
  send(msg: DataMessage): void;
  /** Batches that may be sent now without exceeding the receiver's window. */
  credits(): number;
  /** Batches sent whose credit has not come back yet. */
  inFlight(): number;
  /** Registers the callback run whenever credit comes back. */
  onCredit(fn: () => void): void;
  close(): void;
}

/** Receiving end of a data channel. */
export interface InputChannel {
  /** Registers the callback receiving every message in order. */
  onMessage(fn: (msg: DataMessage) => void): void;
  /** Registers the callback run if the other end disappears without sending end-of-input. */
  onClose(fn: () => void): void;
  /** Declares one received batch processed, so its credit can go back to the sender. */
  release(): void;
  close(): void;
}

/** Flow-control and batching settings shared by every channel of a job. */
export interface ChannelSettings {
  /** Batch credits a receiver grants per channel. */
  credits: number;
  /** Records per batch before a flush. */
  batchSize: number;
  /** Milliseconds a partly filled batch may wait before it is flushed anyway. */
  lingerMs: number;
}

/** Defaults chosen by measurement (see docs/architecture.md). */
export const DEFAULT_CHANNEL_SETTINGS: ChannelSettings = { credits: 4, batchSize: 1024, lingerMs: 5 };

const packr = new Packr({ useRecords: true, moreTypes: true });

/** A data message in the form it crosses a thread: batches are bytes whose buffer is transferred. */
export type WireMessage = ArrayBuffer | BarrierMessage | { kind: 'end' };

/** Encodes a message for the wire; a batch becomes a fresh ArrayBuffer that can be transferred. */
export function encode(msg: DataMessage, origin: ErrorOrigin = {}): WireMessage {
  if (msg.kind !== 'batch') return msg;
  let bytes: Uint8Array;
  try {
    bytes = packr.pack(msg.records);
  } catch (err) {
    throw new RecordEncodingError(origin, err);
  }
  const buf = new ArrayBuffer(bytes.length);
  new Uint8Array(buf).set(bytes);
  return buf;
}

/** Decodes a wire message back into a protocol message. */
export function decode(wire: WireMessage): DataMessage {
  if (wire instanceof ArrayBuffer) return { kind: 'batch', records: packr.unpack(new Uint8Array(wire)) as unknown[] };
  return wire;
}

/**
 * Receiver-side credit bookkeeping: processed batches are returned in groups of half
 * the window, which keeps credit messages rare yet can never leave the sender starved
 * while the receiver has nothing to process.
 */
export class CreditReturner {
  private pending = 0;
  private readonly threshold: number;

  constructor(window: number, private readonly give: (n: number) => void) {
    this.threshold = Math.max(1, Math.floor(window / 2));
  }

  /** Counts one processed batch, returning credit once enough have accumulated. */
  release(): void {
    if (++this.pending >= this.threshold) {
      const n = this.pending;
      this.pending = 0;
      this.give(n);
    }
  }
}
