/**
 * The only code that turns data messages into bytes and back: a batch of records becomes one
 * msgpack buffer whose memory is transferred to the receiving thread, and its records' event
 * times (when they have any) a second buffer of float64s beside it, so a timestamp travels
 * with its record and never as a field of it; barriers, watermarks and end of input are small
 * objects that cross as they are.
 */
import { Packr } from 'msgpackr';
import type { BatchMessage, DataMessage, StreamEvent } from './protocol.js';
import { RecordEncodingError, type ErrorOrigin } from '../../base/errors.js';

const packr = new Packr({ useRecords: true, moreTypes: true });

/** A batch with event times as it crosses a thread: the records' bytes and their times, both transferred. */
export interface TimedBatchWire {
  kind: 'timed-batch';
  records: ArrayBuffer;
  timestamps: ArrayBuffer;
}

/** A data message in the form it crosses a thread: a batch is bytes whose buffer is transferred. */
export type WireMessage = ArrayBuffer | TimedBatchWire | StreamEvent;

function pack(records: unknown[], origin: ErrorOrigin): ArrayBuffer {
  let bytes: Uint8Array;
  try {
    bytes = packr.pack(records);
  } catch (err) {
    throw new RecordEncodingError(origin, err);
  }
  const buf = new ArrayBuffer(bytes.length);
  new Uint8Array(buf).set(bytes);
  return buf;
}

/** Encodes a message for the wire; a batch becomes fresh ArrayBuffers that can be transferred. */
export function encode(msg: DataMessage, origin: ErrorOrigin = {}): WireMessage {
  if (msg.kind !== 'batch') return msg;
  const records = pack(msg.records, origin);
  if (msg.timestamps === undefined) return records;
  const t = msg.timestamps;
  // Senders make a fresh array per batch; only a view into a larger buffer needs copying before the transfer.
  const exact = t.byteOffset === 0 && t.byteLength === t.buffer.byteLength ? t : t.slice();
  return { kind: 'timed-batch', records, timestamps: exact.buffer as ArrayBuffer };
}

/** The buffers of a wire message that move to the receiving thread instead of being copied. */
export function transferables(wire: WireMessage): ArrayBuffer[] {
  if (wire instanceof ArrayBuffer) return [wire];
  return wire.kind === 'timed-batch' ? [wire.records, wire.timestamps] : [];
}

/** Decodes a wire message back into a protocol message; a batch carries the bytes it took. */
export function decode(wire: WireMessage): DataMessage {
  if (wire instanceof ArrayBuffer) return { kind: 'batch', records: packr.unpack(new Uint8Array(wire)) as unknown[], bytes: wire.byteLength };
  if (wire.kind === 'timed-batch') {
    const bytes = wire.records.byteLength + wire.timestamps.byteLength;
    return { kind: 'batch', records: packr.unpack(new Uint8Array(wire.records)) as unknown[], timestamps: new Float64Array(wire.timestamps), bytes };
  }
  return wire;
}

/** In-flight batches of one subtask in one checkpoint, each as encodeBatch made it, by channel index. */
export interface ChannelStateDocument {
  inputs: [channel: number, batches: Uint8Array[]][];
  outputs: [channel: number, batches: Uint8Array[]][];
}

/** A batch as a checkpoint keeps it in channel state: its records and their event times, in one buffer. */
export function encodeBatch(msg: BatchMessage, origin: ErrorOrigin = {}): Uint8Array {
  try {
    return packr.pack(msg.timestamps === undefined ? [msg.records] : [msg.records, msg.timestamps]);
  } catch (err) {
    throw new RecordEncodingError(origin, err);
  }
}

/** A batch back from channel state. */
export function decodeBatch(bytes: Uint8Array): BatchMessage {
  const [records, timestamps] = packr.unpack(bytes) as [unknown[], Float64Array?];
  return timestamps === undefined ? { kind: 'batch', records } : { kind: 'batch', records, timestamps };
}

/** The bytes of a channel state file. */
export function encodeChannelState(doc: ChannelStateDocument): Uint8Array {
  return packr.pack({ version: 1, ...doc });
}

/** A channel state file's document; throws naming what is wrong when the bytes are not one. */
export function decodeChannelState(bytes: Uint8Array): ChannelStateDocument {
  const doc = packr.unpack(bytes) as Partial<ChannelStateDocument> & { version?: unknown };
  if (doc?.version !== 1 || !Array.isArray(doc.inputs) || !Array.isArray(doc.outputs)) throw new Error(`not a channel state document of version 1 (version ${String(doc?.version)})`);
  return { inputs: doc.inputs, outputs: doc.outputs };
}
