/**
 * Where a write-out's encoded values live: packed one after another into shared chunks, so a
 * record ahead of the store holds a chunk and two numbers rather than a buffer object of its
 * own (half the memory of a small record, and one object fewer for the garbage collector to
 * trace and promote). A chunk stays alive while one of its records does; the cache reckons a
 * chunk whole while any record ahead still stands in it.
 */
import { copyBytes, packScratch } from '../format/state-file.js';
import { TOMBSTONE, type OverlayValue } from './overlay.js';

/** A chunk of encodings; `ahead` counts its records ahead of the store. */
export interface EncodedChunk {
  readonly buf: Buffer;
  ahead: number;
}

/** A record's encoding: in a chunk at `at`, `len` bytes long; TOMBSTONE for a deletion; undefined for nothing to write. */
export interface Encoded {
  chunk: EncodedChunk | typeof TOMBSTONE | undefined;
  at: number;
  len: number;
}

/** Bytes of a fresh chunk: a slice of a write-out (2,048 values) of small values fills a few. */
const CHUNK_BYTES = 64 * 1024;
/** A value longer than this gets a chunk of its own, so one large value wastes no shared room. */
const OWN_CHUNK_OVER = CHUNK_BYTES / 8;

/** Packs encodings into chunks; each write-out's values go after the last one's. */
export class EncodingSlab {
  private chunk: EncodedChunk = { buf: Buffer.allocUnsafe(0), ahead: 0 };
  private pos = 0;

  /** Encodes `value` into the next free bytes of a chunk and points `into` at them. */
  encode(value: unknown, into: Encoded): void {
    const scratch = packScratch(value);
    const len = scratch.end - scratch.start;
    let chunk: EncodedChunk;
    let at = 0;
    if (len > OWN_CHUNK_OVER) chunk = { buf: Buffer.allocUnsafe(len), ahead: 0 };
    else {
      if (this.pos + len > this.chunk.buf.length) {
        this.chunk = { buf: Buffer.allocUnsafe(CHUNK_BYTES), ahead: 0 };
        this.pos = 0;
      }
      chunk = this.chunk;
      at = this.pos;
      this.pos += len;
    }
    copyBytes(scratch, scratch.start, len, chunk.buf, at);
    into.chunk = chunk;
    into.at = at;
    into.len = len;
  }
}

/** An encoding as a buffer of its own bytes (a view into its chunk), or TOMBSTONE; undefined for nothing to write. */
export function encodedValue(e: Encoded): OverlayValue | undefined {
  const c = e.chunk;
  return c === undefined || c === TOMBSTONE ? c : c.buf.subarray(e.at, e.at + e.len);
}
