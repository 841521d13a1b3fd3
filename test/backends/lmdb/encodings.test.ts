import t from 'tap';
import { EncodingSlab, encodedValue, type Encoded } from '../../../backends/lmdb/encodings.js';
import { unpackValue } from '../../../backends/format/state-file.js';
import { TOMBSTONE } from '../../../backends/lmdb/overlay.js';

const CHUNK = 64 * 1024;

/** Values of many sizes: small ones, ones near a chunk's free room, and ones larger than a chunk. */
function value(i: number): unknown {
  const sizes = [3, 90, 700, 2100, 9000, 17_000, 70_000, 300_000];
  const n = sizes[i % sizes.length]!;
  return i % 3 === 0 ? { i, s: 'x'.repeat(n) } : [i, Buffer.alloc(n, i & 0xff)];
}

t.test('the slab packs values straight into chunks that later values never overwrite', async (t) => {
  const slab = new EncodingSlab();
  const encoded: Encoded[] = [];
  const copies: Buffer[] = [];
  for (let i = 0; i < 400; i++) {
    const e: Encoded = { chunk: undefined, at: 0, len: 0 };
    slab.encode(value(i), e);
    encoded.push(e);
    copies.push(Buffer.from(encodedValue(e) as Buffer));
  }
  let same = 0;
  let decoded = 0;
  const chunks = new Set<unknown>();
  const oversized: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const e = encoded[i]!;
    const bytes = encodedValue(e);
    if (bytes === undefined || bytes === TOMBSTONE) throw new Error(`value ${i} has no encoding`);
    if (Buffer.compare(bytes, copies[i]!) === 0) same++;
    if (JSON.stringify(unpackValue(bytes)) === JSON.stringify(value(i))) decoded++;
    const c = e.chunk as { buf: Buffer };
    chunks.add(c);
    if (c.buf.length > CHUNK && !(e.at === 0 && e.len === c.buf.length)) oversized.push(i);
  }
  t.equal(same, encoded.length, 'every encoding holds the bytes it had when it was made');
  t.equal(decoded, encoded.length, 'and decodes to its value');
  t.strictSame(oversized, [], 'a chunk larger than 64 KiB holds one value exactly');
  t.ok(chunks.size < encoded.length / 2, `values share chunks (${encoded.length} values in ${chunks.size} chunks)`);
});

t.test('a value that cannot be encoded throws, and the slab goes on', async (t) => {
  const slab = new EncodingSlab();
  const before: Encoded = { chunk: undefined, at: 0, len: 0 };
  slab.encode({ a: 1 }, before);
  const kept = Buffer.from(encodedValue(before) as Buffer);
  t.throws(() => slab.encode({ pad: 'y'.repeat(500), s: Symbol('no encoding') }, { chunk: undefined, at: 0, len: 0 }), /symbol/);
  const after: Encoded = { chunk: undefined, at: 0, len: 0 };
  slab.encode({ b: 2 }, after);
  t.strictSame(unpackValue(encodedValue(after) as Buffer), { b: 2 }, 'a later value encodes');
  t.same(encodedValue(before), kept, 'an earlier one is untouched');
});
