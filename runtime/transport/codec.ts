/**
 * The only code that turns data messages into bytes and back: a batch of records becomes one
 * msgpack buffer whose memory is transferred to the receiving thread; barriers and end of
 * input are small objects that cross as they are.
 */
import { Packr } from 'msgpackr';
import type { BarrierMessage, DataMessage } from './protocol.js';
import { RecordEncodingError, type ErrorOrigin } from '../../base/errors.js';

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
