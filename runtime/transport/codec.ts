/**
 * The only code that turns data messages into bytes and back: a batch of records becomes one
 * msgpack buffer whose memory is transferred to the receiving thread, and its records' event
 * times (when they have any) a second buffer of float64s beside it, so a timestamp travels
 * with its record and never as a field of it; barriers, watermarks and end of input are small
 * objects that cross as they are.
 */
import { Packr } from 'msgpackr';
import type { DataMessage, StreamEvent } from './protocol.js';
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

/** Decodes a wire message back into a protocol message. */
export function decode(wire: WireMessage): DataMessage {
  if (wire instanceof ArrayBuffer) return { kind: 'batch', records: packr.unpack(new Uint8Array(wire)) as unknown[] };
  if (wire.kind === 'timed-batch') {
    return { kind: 'batch', records: packr.unpack(new Uint8Array(wire.records)) as unknown[], timestamps: new Float64Array(wire.timestamps) };
  }
  return wire;
}
