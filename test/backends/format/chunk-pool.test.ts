import t from 'tap';
import { ChunkPool } from '../../../backends/format/chunk-pool.js';
import { StateFileEncoder } from '../../../backends/format/state-file.js';

// Chunks of at least 4 KiB: smaller ones share a buffer of the runtime's own pool, so a chunk is told by its buffer.
const CHUNK = 8192;
const entry = (i: number): [Buffer, Buffer] => [Buffer.from(`key-${String(i).padStart(4, '0')}`), Buffer.alloc(1000, i & 0xff)];

/** Writes `n` entries through an encoder whose sink copies each chunk after a turn of the event loop, as a file write would. */
async function write(n: number, pool?: ChunkPool): Promise<{ bytes: Buffer; handed: Set<ArrayBufferLike> }> {
  const parts: Buffer[] = [];
  const handed = new Set<ArrayBufferLike>();
  const enc = new StateFileEncoder(async (chunk) => {
    handed.add(chunk.buffer);
    await new Promise((r) => setImmediate(r));
    parts.push(Buffer.from(chunk));
  }, pool ?? CHUNK);
  for (let i = 0; i < n; i++) {
    const [k, v] = entry(i);
    const p = enc.add(k, v);
    if (p) await p;
  }
  await enc.finish();
  return { bytes: Buffer.concat(parts), handed };
}

t.test('an encoder with a pool writes the same bytes, in chunks it takes back once each write settles', async (t) => {
  const plain = await write(100);
  const pool = new ChunkPool(CHUNK, 4);
  const pooled = await write(100, pool);
  t.ok(pooled.bytes.equals(plain.bytes), 'the same file');
  t.ok(plain.handed.size >= 10, `without a pool every chunk is new (${plain.handed.size})`);
  t.ok(pooled.handed.size <= 2, `with one, two chunks take turns (${pooled.handed.size})`);
  t.equal(pool.size, pooled.handed.size, 'every chunk is back once the file is done');
  const again = await write(100, pool);
  t.ok(again.bytes.equals(plain.bytes), 'a second file through the same pool is the same too');
  t.ok([...again.handed].every((b) => pooled.handed.has(b)), 'and it reuses the first file\'s chunks');
});

t.test('a chunk whose write has not settled is not handed out again', async (t) => {
  const pool = new ChunkPool(CHUNK, 4);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const handed: ArrayBufferLike[] = [];
  const enc = new StateFileEncoder(async (chunk) => {
    handed.push(chunk.buffer);
    await held;
  }, pool);
  let pending: Promise<void> | void = undefined;
  for (let i = 0; pending === undefined; i++) pending = enc.add(...entry(i));
  t.equal(pool.size, 0, 'the chunk being written is not idle');
  const other = pool.take();
  t.not(other.buffer, handed[0], 'so another file gets another chunk');
  release();
  await pending;
  t.equal(pool.size, 1, 'once its write settled the chunk is idle');
  t.equal(pool.take().buffer, handed[0], 'and is handed out next');
});

t.test('a sink that answers with no promise keeps its chunks', async (t) => {
  const pool = new ChunkPool(CHUNK, 4);
  const kept: Buffer[] = [];
  const enc = new StateFileEncoder((chunk) => void kept.push(chunk), pool);
  for (let i = 0; i < 20; i++) enc.add(...entry(i));
  enc.finish();
  t.ok(kept.length > 2);
  t.equal(pool.size, 0, 'nothing goes back to the pool');
  t.equal(new Set(kept.map((c) => c.buffer)).size, kept.length, 'each kept chunk is a buffer of its own');
});

t.test('a pool keeps at most its limit, and only chunks of its size', async (t) => {
  const pool = new ChunkPool(CHUNK, 2);
  pool.give(Buffer.alloc(CHUNK));
  pool.give(Buffer.alloc(CHUNK * 2));
  pool.give(Buffer.alloc(CHUNK));
  pool.give(Buffer.alloc(CHUNK));
  t.equal(pool.size, 2);
  t.equal(pool.take().length, CHUNK);
});

t.test('a failed write keeps its chunk out of the pool and fails the caller', async (t) => {
  const pool = new ChunkPool(CHUNK, 4);
  const enc = new StateFileEncoder(async () => {
    throw new Error('disk full');
  }, pool);
  let pending: Promise<void> | void = undefined;
  for (let i = 0; pending === undefined; i++) pending = enc.add(...entry(i));
  await t.rejects(pending as Promise<void>, /disk full/);
  t.equal(pool.size, 0);
});
