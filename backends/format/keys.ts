/**
 * The binary key of one state entry, shared by both backends and the state file format:
 *
 *   keyGroup (u16 BE) · nameLen (u8) · stateName (utf8) · kind (u8) · userKey · [mapKey]
 *   keyGroup (u16 BE) · nameLen (u8) · stateName (utf8) · 't' · time (8 bytes, ordered) · userKey   (timers)
 *
 * with user and map keys written as `'s' · len (u32 BE) · utf8` or `'n' · float64 BE`.
 * The key group comes first so that a subtask's key-group range is one contiguous range of
 * keys, and every field is self-delimiting so that a map's entries share one key prefix.
 * A timer's time is a float64 whose bytes sort as the numbers do, so a range scan over one
 * key group's timers finds the due ones first.
 */
import type { StateKey } from '../state.js';

/** The kinds of keyed state, as the heap backend names them; timers are keyed state too. */
export type StateKind = 'value' | 'map' | 'list' | 'reducing' | 'timer';

const KIND_CODES: Record<StateKind, number> = { value: 0x76, map: 0x6d, list: 0x6c, reducing: 0x72, timer: 0x74 };
const KIND_NAMES = new Map<number, StateKind>(Object.entries(KIND_CODES).map(([k, c]) => [c, k as StateKind]));
const TAG_STRING = 0x73;
const TAG_NUMBER = 0x6e;
/** No map key starts with this byte, so `prefix · 0xff` bounds a range scan over one map. */
const AFTER_MAP_KEYS = 0xff;

/** Bytes of `nameLen · stateName · kind`, computed once per state handle. */
export function stateHeader(name: string, kind: StateKind): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 255) {
    throw new Error(`state name "${name.slice(0, 40)}…" is ${nameBytes.length} bytes long in UTF-8; at most 255 are allowed`);
  }
  const out = Buffer.allocUnsafe(nameBytes.length + 2);
  out[0] = nameBytes.length;
  nameBytes.copy(out, 1);
  out[nameBytes.length + 1] = KIND_CODES[kind];
  return out;
}

/** Encodes keys into a scratch buffer it owns, so a lookup allocates nothing. */
export class KeyWriter {
  private buf = Buffer.allocUnsafe(256);
  /** Length of the last key written. */
  length = 0;
  /** Length of the last key without its map key: the prefix all entries of that map share. */
  prefixLength = 0;

  /** Writes a key; the returned view is valid until the next call (copy it with `Buffer.from` to keep it). */
  encode(keyGroup: number, header: Buffer, userKey: StateKey, mapKey?: StateKey): Buffer {
    let pos = 2 + header.length;
    this.reserve(pos + sizeBound(userKey) + (mapKey === undefined ? 0 : sizeBound(mapKey)));
    const buf = this.buf;
    buf.writeUInt16BE(keyGroup, 0);
    header.copy(buf, 2);
    pos = writeUserKey(buf, pos, userKey);
    this.prefixLength = pos;
    if (mapKey !== undefined) pos = writeUserKey(buf, pos, mapKey);
    this.length = pos;
    return buf.subarray(0, pos);
  }

  /** The last key as a latin1 string: one char per byte, so string order is byte order. */
  latin1(): string {
    return this.buf.toString('latin1', 0, this.length);
  }

  /** The last key's map prefix as a latin1 string. */
  prefixLatin1(): string {
    return this.buf.toString('latin1', 0, this.prefixLength);
  }

  /** The last key's map prefix (a view, valid until the next call). */
  prefix(): Buffer {
    return this.buf.subarray(0, this.prefixLength);
  }

  private reserve(bytes: number): void {
    if (this.buf.length < bytes) this.buf = Buffer.allocUnsafe(Math.max(bytes, this.buf.length * 2));
  }
}

/** Writes a timer's time so that bytes compare as the numbers do (sign bit flipped for positives, every bit for negatives). */
function writeOrderedTime(buf: Buffer, pos: number, time: number): void {
  buf.writeDoubleBE(time === 0 ? 0 : time, pos);
  if (buf[pos] & 0x80) for (let i = pos; i < pos + 8; i++) buf[i] = ~buf[i] & 0xff;
  else buf[pos] |= 0x80;
}

function readOrderedTime(buf: Buffer, pos: number): number {
  const bytes = Buffer.from(buf.subarray(pos, pos + 8));
  if (bytes[0] & 0x80) bytes[0] &= 0x7f;
  else for (let i = 0; i < 8; i++) bytes[i] = ~bytes[i] & 0xff;
  return bytes.readDoubleBE(0);
}

/** The key of the timer of `userKey` at `time` (a fresh buffer). */
export function encodeTimerKey(keyGroup: number, header: Buffer, time: number, userKey: StateKey): Buffer {
  const pos = 2 + header.length;
  const buf = Buffer.allocUnsafe(pos + 8 + sizeBound(userKey));
  buf.writeUInt16BE(keyGroup, 0);
  header.copy(buf, 2);
  writeOrderedTime(buf, pos, time);
  return buf.subarray(0, writeUserKey(buf, pos + 8, userKey));
}

/** The first key of one key group's timers of a state (the prefix they share). */
export function timerPrefix(keyGroup: number, header: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(2 + header.length);
  buf.writeUInt16BE(keyGroup, 0);
  header.copy(buf, 2);
  return buf;
}

/** The end (exclusive) of a range scan over one key group's timers due at or before `time`. */
export function timerRangeEnd(keyGroup: number, header: Buffer, time: number): Buffer {
  const pos = 2 + header.length;
  const buf = Buffer.allocUnsafe(pos + 9);
  buf.writeUInt16BE(keyGroup, 0);
  header.copy(buf, 2);
  writeOrderedTime(buf, pos, time);
  // Above every user-key tag: every timer at exactly `time` lies before it.
  buf[pos + 8] = AFTER_MAP_KEYS;
  return buf;
}

/** The time and user key of a timer's key. */
export function decodeTimerKey(key: Uint8Array): { keyGroup: number; time: number; userKey: StateKey } {
  const buf = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.length);
  const pos = stateHeaderEnd(buf);
  if (pos + 8 > buf.length) throw new KeyFormatError('timer key ends inside its time');
  const [userKey, end] = readUserKey(buf, pos + 8);
  if (end !== buf.length) throw new KeyFormatError(`timer key has ${buf.length - end} unexpected trailing bytes`);
  return { keyGroup: keyGroupOfKey(buf), time: readOrderedTime(buf, pos), userKey };
}

/** The end (exclusive) of a range scan over every entry of the map whose prefix is given. */
export function mapRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.allocUnsafe(prefix.length + 1);
  prefix.copy(end, 0);
  end[prefix.length] = AFTER_MAP_KEYS;
  return end;
}

/** Encodes a key into a fresh buffer. */
export function encodeKey(keyGroup: number, header: Buffer, userKey: StateKey, mapKey?: StateKey): Buffer {
  return Buffer.from(new KeyWriter().encode(keyGroup, header, userKey, mapKey));
}

/** A key taken apart. */
export interface DecodedKey {
  keyGroup: number;
  name: string;
  kind: StateKind;
  userKey: StateKey;
  /** Present for map state only. */
  mapKey?: StateKey;
  /** Present for timers only: when the timer fires. */
  time?: number;
}

/** The key group of an encoded key. */
export function keyGroupOfKey(key: Uint8Array): number {
  return (key[0] << 8) | key[1];
}

/** The first key of a key group, as a range-scan bound. */
export function keyGroupBound(keyGroup: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(keyGroup, 0);
  return b;
}

/** Bytes that are not a well-formed state key. */
export class KeyFormatError extends Error {
  override name = 'KeyFormatError';
}

/** Length of `keyGroup · nameLen · stateName · kind`: the part that names the state. */
export function stateHeaderEnd(key: Uint8Array): number {
  const end = key.length < 3 ? Infinity : 3 + key[2] + 1;
  if (key.length < end) throw new KeyFormatError('state key is shorter than its header');
  return end;
}

/** The state name and kind of an encoded key. */
export function decodeStateHeader(key: Uint8Array): { name: string; kind: StateKind } {
  const end = stateHeaderEnd(key);
  const kind = KIND_NAMES.get(key[end - 1]);
  if (kind === undefined) throw new KeyFormatError(`state key has unknown kind byte ${key[end - 1]}`);
  return { name: Buffer.from(key.buffer, key.byteOffset + 3, end - 4).toString('utf8'), kind };
}

/** Takes a key apart; throws on bytes that are not a well-formed key. */
export function decodeKey(key: Uint8Array): DecodedKey {
  const buf = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.length);
  const headerEnd = stateHeaderEnd(buf);
  const { name, kind } = decodeStateHeader(buf);
  if (kind === 'timer') {
    const timer = decodeTimerKey(buf);
    return { keyGroup: timer.keyGroup, name, kind, userKey: timer.userKey, time: timer.time };
  }
  const [userKey, afterUser] = readUserKey(buf, headerEnd);
  const out: DecodedKey = { keyGroup: keyGroupOfKey(buf), name, kind, userKey };
  let end = afterUser;
  if (kind === 'map') [out.mapKey, end] = readUserKey(buf, afterUser);
  if (end !== buf.length) throw new KeyFormatError(`state key has ${buf.length - end} unexpected trailing bytes`);
  return out;
}

/** Whether an encoded key belongs to map state. */
export function isMapKey(key: Uint8Array): boolean {
  return key[stateHeaderEnd(key) - 1] === KIND_CODES.map;
}

/** Length of a map entry's key without its map key: the prefix shared by one user key's map. */
export function mapPrefixLength(key: Uint8Array): number {
  const pos = stateHeaderEnd(key);
  if (key[pos] === TAG_NUMBER) return pos + 9;
  return pos + 5 + (((key[pos + 1] << 24) >>> 0) + (key[pos + 2] << 16) + (key[pos + 3] << 8) + key[pos + 4]);
}

/** Reads the map key that follows a map prefix of `prefixLength` bytes. */
export function decodeMapKey(key: Uint8Array, prefixLength: number): StateKey {
  const buf = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.length);
  return readUserKey(buf, prefixLength)[0];
}

/** Bytes a user or map key takes in a key. */
export function userKeyLength(k: StateKey): number {
  return typeof k === 'number' ? 9 : 5 + Buffer.byteLength(k, 'utf8');
}

function sizeBound(k: StateKey): number {
  return typeof k === 'number' ? 9 : 5 + k.length * 3;
}

function writeUserKey(buf: Buffer, pos: number, k: StateKey): number {
  if (typeof k === 'number') {
    buf[pos] = TAG_NUMBER;
    // -0 and 0 are one key in a JS Map; they must be one key here too.
    buf.writeDoubleBE(k === 0 ? 0 : k, pos + 1);
    return pos + 9;
  }
  if (typeof k !== 'string') throw new Error(`state keys must be strings or numbers, got ${k === null ? 'null' : typeof k}`);
  buf[pos] = TAG_STRING;
  const n = buf.write(k, pos + 5, 'utf8');
  buf.writeUInt32BE(n, pos + 1);
  return pos + 5 + n;
}

function readUserKey(buf: Buffer, pos: number): [StateKey, number] {
  const tag = buf[pos];
  if (tag === TAG_NUMBER) {
    if (pos + 9 > buf.length) throw new KeyFormatError('state key ends inside a number');
    return [buf.readDoubleBE(pos + 1), pos + 9];
  }
  if (tag === TAG_STRING) {
    if (pos + 5 > buf.length) throw new KeyFormatError('state key ends inside a string length');
    const n = buf.readUInt32BE(pos + 1);
    if (pos + 5 + n > buf.length) throw new KeyFormatError('state key ends inside a string');
    return [buf.toString('utf8', pos + 5, pos + 5 + n), pos + 5 + n];
  }
  throw new KeyFormatError(tag === undefined ? 'state key ends before its user key' : `state key has unknown key tag ${tag}`);
}
