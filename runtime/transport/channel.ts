/**
 * A channel is one producer subtask → one consumer subtask: data messages flow one way in
 * order, credit the other way (credit.ts), and every message crosses as codec.ts encodes it.
 * The two implementations are port-channel.ts (between threads) and memory-channel.ts.
 */
import type { DataMessage } from './protocol.js';

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
  /** Registers the callback hearing the batch size the receiver asks for (buffer debloating). */
  onBatchSize?(fn: (records: number) => void): void;
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
  /** Asks the sender for batches of at most this many records (buffer debloating). */
  announceBatchSize?(records: number): void;
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
  /** Buffer debloating: senders' batches shrink so that what is in flight towards an actor is about this many ms of its processing (off when absent). */
  debloatTargetMs?: number;
}

/** Defaults chosen by measurement (see docs/architecture.md). */
export const DEFAULT_CHANNEL_SETTINGS: ChannelSettings = { credits: 4, batchSize: 1024, lingerMs: 5 };
