/**
 * The state file format (`.sfs`) both backends write and read:
 *
 *   magic "SFSTATE1" · entry*      entry := keyLen (u32 BE) · key · valLen (u32 BE) · value
 *
 * where the key is a `keys.ts` key, the value msgpack, and valLen 0xFFFFFFFF marks a
 * tombstone (a key deleted since the file this one builds on).
 */
import { createRequire } from 'node:module';
import type * as Msgpackr from 'msgpackr';
import { CorruptCheckpointError } from '../../base/errors.js';
import type { ChunkPool } from './chunk-pool.js';

// State values get an instance of msgpackr of their own, its CommonJS build (the channels import
// the ES module): every encoder of one instance runs the same functions, and the engine optimizes
// those for the shapes they meet, so state values and the channels' records in one instance made
// both slower once checkpoints encode state every second (in q4 the channels' encoding took 45% longer).
const { Packr, REUSE_BUFFER_MODE } = createRequire(import.meta.url)('msgpackr') as typeof Msgpackr;

/** First bytes of every state file. */
export const STATE_FILE_MAGIC = Buffer.from('SFSTATE1', 'latin1');
/** Size the encoder fills before handing a chunk to its sink. */
export const CHUNK_BYTES = 1 << 20;
/** The value length that marks a tombstone. */
export const TOMBSTONE_LENGTH = 0xffffffff;
/** Keys held as strings up to this length are copied into a chunk char by char. */
const LOOP_KEY_LENGTH = 64;
/** The shortest well-formed key: key group, empty name, kind, empty string ('s' · u32 length). */
const MIN_KEY_LENGTH = 2 + 1 + 1 + 5;

// Records would make files depend on structures kept outside them; plain msgpack is self-contained.
const PACKR_OPTIONS = { useRecords: false, moreTypes: true, copyBuffers: true };
const packr = new Packr(PACKR_OPTIONS);

/** Encodes a state value (the returned bytes are never reused by the encoder). */
export function packValue(value: unknown): Buffer {
  return packr.pack(value);
}

/** A state value's bytes: `start` to `end` of the buffer. */
export type PackedAt = Buffer & { start: number; end: number };

/** Encodes state values one after another into buffers it never writes into again (a caller keeps the bytes where they are). */
export class SequentialPacker {
  private readonly own = new Packr(PACKR_OPTIONS);

  /** Packs into `buf`, from its start, from now on. */
  restart(buf: Buffer): void {
    this.own.useBuffer(buf);
  }

  /** The value's bytes: in the buffer of the last value, after it, or in a fresh buffer when that one had too little room left. */
  pack(value: unknown): PackedAt {
    return this.own.pack(value, REUSE_BUFFER_MODE) as PackedAt;
  }
}

/** Copies `len` bytes; a short run by hand, faster than a native call that also makes a view. */
export function copyBytes(src: Uint8Array, at: number, len: number, dst: Uint8Array, pos: number): void {
  if (len > 64) dst.set(at === 0 && len === src.length ? src : src.subarray(at, at + len), pos);
  else for (let i = 0; i < len; i++) dst[pos + i] = src[at + i];
}

/** Decodes a state value into fresh objects that share nothing with the bytes. */
export function unpackValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** Receives full chunks; a returned promise is awaited before the encoder's caller goes on. */
export type ChunkSink = (chunk: Buffer) => void | Promise<void>;

/** Packs entries into chunks of about CHUNK_BYTES and hands each full chunk to a sink. */
export class StateFileEncoder {
  /** Entries added so far. */
  entries = 0;
  /** Of them, tombstones: deletions an incremental checkpoint carries. */
  tombstones = 0;
  /** Bytes produced so far, including the chunk being filled. */
  bytes = 0;
  private chunk: Buffer;
  private pos: number;

  private readonly chunkBytes: number;
  private readonly pool: ChunkPool | undefined;

  /**
   * `chunks` is the chunk size, or a pool whose chunks are used: they go back to it once the
   * sink's promise for them settles, so a sink that returns no promise keeps its chunks and must
   * be given no pool.
   */
  constructor(private readonly sink: ChunkSink, chunks: number | ChunkPool = CHUNK_BYTES) {
    this.pool = typeof chunks === 'number' ? undefined : chunks;
    this.chunkBytes = typeof chunks === 'number' ? chunks : chunks.chunkBytes;
    this.chunk = this.freshChunk(0);
    this.pos = STATE_FILE_MAGIC.copy(this.chunk, 0);
    this.bytes = this.pos;
  }

  /**
   * Adds an upsert (value given) or a tombstone (null); a string key is its bytes as latin1 (so
   * a key kept as a string needs no buffer). Returns the sink's promise if a chunk was handed over.
   */
  add(key: Uint8Array | string, value: Uint8Array | null): void | Promise<void> {
    return value === null ? this.addFrom(key, null, 0, 0) : this.addFrom(key, value, 0, value.length);
  }

  /** Adds an upsert whose value is `len` bytes of `src` from `at` (or a tombstone, `src` null), as add() does. */
  addFrom(key: Uint8Array | string, src: Uint8Array | null, at: number, len: number): void | Promise<void> {
    const need = 8 + key.length + len;
    let handedOver: void | Promise<void> = undefined;
    if (this.pos + need > this.chunk.length) handedOver = this.handOver(need);
    const chunk = this.chunk;
    let pos = chunk.writeUInt32BE(key.length, this.pos);
    if (typeof key !== 'string') chunk.set(key, pos);
    else if (key.length > LOOP_KEY_LENGTH) chunk.write(key, pos, key.length, 'latin1');
    // A short key is copied faster by hand than through Buffer#write's native call.
    else for (let i = 0; i < key.length; i++) chunk[pos + i] = key.charCodeAt(i);
    pos = chunk.writeUInt32BE(src === null ? TOMBSTONE_LENGTH : len, pos + key.length);
    if (src !== null) {
      copyBytes(src, at, len, chunk, pos);
      pos += len;
    }
    this.pos = pos;
    this.bytes += need;
    this.entries++;
    if (src === null) this.tombstones++;
    return handedOver;
  }

  /** Hands over the last, partial chunk. */
  finish(): void | Promise<void> {
    const last = this.chunk;
    const pos = this.pos;
    this.chunk = Buffer.alloc(0);
    this.pos = 0;
    return this.send(last, pos);
  }

  private handOver(need: number): void | Promise<void> {
    const full = this.chunk;
    const pos = this.pos;
    // Another chunk: the sink may still hold this one while it writes.
    this.chunk = this.freshChunk(need);
    this.pos = 0;
    return this.send(full, pos);
  }

  /** A chunk with room for `need` bytes: the pool's when its chunks are big enough. */
  private freshChunk(need: number): Buffer {
    const pool = this.pool;
    if (pool !== undefined && need <= this.chunkBytes) return pool.take();
    return Buffer.allocUnsafe(Math.max(this.chunkBytes, need));
  }

  /** Hands the first `pos` bytes of a chunk to the sink; the chunk goes back to the pool once the sink is done with it. */
  private send(chunk: Buffer, pos: number): void | Promise<void> {
    const pool = this.pool;
    const sent = pos > 0 ? this.sink(chunk.subarray(0, pos)) : undefined;
    if (pool === undefined) return sent;
    if (sent === undefined) {
      if (pos === 0) pool.give(chunk);
      return undefined;
    }
    return sent.then(() => pool.give(chunk));
  }
}

/** One parsed entry; key and value are views into the chunks read. */
export interface StateFileEntry {
  key: Buffer;
  /** null for a tombstone. */
  value: Buffer | null;
}

/**
 * Splits a state file's chunks into entries, whatever the chunk boundaries. Entries are
 * views into the chunks, so a source must not reuse a chunk's memory after yielding it.
 */
export class StateFileParser {
  /** Entries parsed so far. */
  entries = 0;
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  /** Bytes needed in `pieces` before parsing can make progress. */
  private needed = STATE_FILE_MAGIC.length;
  private sawMagic = false;
  private offset = 0;

  constructor(private readonly file: string) {}

  /** Parses every entry completed by this chunk into `out`. */
  push(chunk: Uint8Array, out: StateFileEntry[]): void {
    const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.pieces.push(piece);
    this.pieceBytes += piece.length;
    // Joining only once an entry is complete keeps a huge entry split over many chunks linear.
    if (this.pieceBytes < this.needed) return;
    const buf = this.pieces.length === 1 ? piece : Buffer.concat(this.pieces, this.pieceBytes);
    const pos = this.parse(buf, out);
    this.offset += pos;
    this.pieces = pos < buf.length ? [buf.subarray(pos)] : [];
    this.pieceBytes = buf.length - pos;
  }

  /** Checks that the file ended on an entry boundary. */
  end(): void {
    if (!this.sawMagic) throw this.corrupt(`not a state file: shorter than the ${STATE_FILE_MAGIC.length}-byte header`);
    if (this.pieceBytes > 0) throw this.corrupt(`truncated entry at byte ${this.offset} (${this.pieceBytes} bytes left over)`);
  }

  private parse(buf: Buffer, out: StateFileEntry[]): number {
    let pos = 0;
    if (!this.sawMagic) {
      if (!buf.subarray(0, STATE_FILE_MAGIC.length).equals(STATE_FILE_MAGIC)) throw this.corrupt('not a state file: bad magic');
      this.sawMagic = true;
      pos = STATE_FILE_MAGIC.length;
    }
    for (;;) {
      const left = buf.length - pos;
      if (left < 4) return this.wait(pos, 4);
      const keyLen = buf.readUInt32BE(pos);
      if (keyLen < MIN_KEY_LENGTH) throw this.corrupt(`entry at byte ${this.offset + pos} has a ${keyLen}-byte key`);
      if (left < 8 + keyLen) return this.wait(pos, 8 + keyLen);
      const valLen = buf.readUInt32BE(pos + 4 + keyLen);
      const size = 8 + keyLen + (valLen === TOMBSTONE_LENGTH ? 0 : valLen);
      if (left < size) return this.wait(pos, size);
      const key = buf.subarray(pos + 4, pos + 4 + keyLen);
      out.push({ key, value: valLen === TOMBSTONE_LENGTH ? null : buf.subarray(pos + 8 + keyLen, pos + size) });
      this.entries++;
      pos += size;
    }
  }

  private wait(pos: number, bytes: number): number {
    this.needed = bytes;
    return pos;
  }

  private corrupt(reason: string): CorruptCheckpointError {
    return new CorruptCheckpointError(this.file, reason);
  }
}

/**
 * Visits every entry of a whole state file held in memory, allocating nothing per entry:
 * `visit(keyAt, keyLength, valueLength)`, valueLength being TOMBSTONE_LENGTH for a tombstone.
 * Reports damage as StateFileParser does; returns the number of entries.
 */
export function scanStateFile(file: string, bytes: Buffer, visit: (keyAt: number, keyLength: number, valueLength: number) => void): number {
  const corrupt = (reason: string) => new CorruptCheckpointError(file, reason);
  if (bytes.length < STATE_FILE_MAGIC.length) throw corrupt(`not a state file: shorter than the ${STATE_FILE_MAGIC.length}-byte header`);
  if (!bytes.subarray(0, STATE_FILE_MAGIC.length).equals(STATE_FILE_MAGIC)) throw corrupt('not a state file: bad magic');
  const truncated = (at: number, left: number) => corrupt(`truncated entry at byte ${at} (${left} bytes left over)`);
  let pos = STATE_FILE_MAGIC.length;
  let entries = 0;
  while (pos < bytes.length) {
    const left = bytes.length - pos;
    if (left < 4) throw truncated(pos, left);
    const keyLen = bytes.readUInt32BE(pos);
    if (keyLen < MIN_KEY_LENGTH) throw corrupt(`entry at byte ${pos} has a ${keyLen}-byte key`);
    if (left < 8 + keyLen) throw truncated(pos, left);
    const valLen = bytes.readUInt32BE(pos + 4 + keyLen);
    const size = 8 + keyLen + (valLen === TOMBSTONE_LENGTH ? 0 : valLen);
    if (left < size) throw truncated(pos, left);
    visit(pos + 4, keyLen, valLen);
    entries++;
    pos += size;
  }
  return entries;
}

/** Calls `onEntry` for every entry of a file read as chunks, awaiting any promise it returns. */
export async function forEachEntry(
  file: string,
  chunks: AsyncIterable<Uint8Array>,
  onEntry: (entry: StateFileEntry) => void | Promise<void>,
): Promise<number> {
  const parser = new StateFileParser(file);
  const entries: StateFileEntry[] = [];
  for await (const chunk of chunks) {
    parser.push(chunk, entries);
    for (const e of entries) {
      const p = onEntry(e);
      if (p) await p;
    }
    entries.length = 0;
  }
  parser.end();
  return parser.entries;
}
