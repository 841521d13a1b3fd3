import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateFileRef } from '../../../backends/snapshot.js';
import { CheckpointStorage } from '../../../runtime/storage/checkpoint-storage.js';
import type { CheckpointMetadata } from '../../../runtime/storage/metadata.js';
import { CheckpointError, ConfigError, CorruptCheckpointError } from '../../../base/errors.js';
import { newJobId, resolveCheckpointDir } from '../../../runtime/storage/paths.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const OWNER = 'Keyed Reduce -> Print (2/3)';

async function jobFolder(t: Tap): Promise<CheckpointStorage> {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-storage-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return new CheckpointStorage(join(dir, 'job'));
}

async function store(s: CheckpointStorage, id: number, scope: 'exclusive' | 'shared', data: Uint8Array): Promise<StateFileRef> {
  const w = await s.target(id, OWNER).createFile(scope, scope === 'shared' ? 'delta' : 'full');
  await w.write(data);
  return w.close(1);
}

function metadata(id: number, files: StateFileRef[], written = files.map((f) => f.path)): CheckpointMetadata {
  return {
    format: 'snapflow-checkpoint', version: 1, jobId: 'job', jobName: 'job', checkpointId: id, savepoint: false, final: false,
    mode: 'incremental', backend: 'heap', maxParallelism: 128, triggeredAt: 1_000 * id, completedAt: 1_000 * id + 50,
    subtasks: [{ chain: 1, subtask: 0, parallelism: 1, keyed: { backend: 'heap', mode: 'incremental', keyGroups: { start: 0, end: 127 }, files, written, entries: files.length } }],
    stats: [],
  };
}

async function readAll(s: CheckpointStorage, ref: StateFileRef): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const c of s.source().read(ref)) chunks.push(Buffer.from(c));
  return chunks;
}

/** What a rejection must be: its class, a pattern for its message, and what the assertion is about. */
interface Expected {
  type: new (...args: never[]) => Error;
  message: RegExp | string;
  about: string;
}

async function rejectsWith(t: Tap, p: Promise<unknown>, want: Expected): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof want.type, `${want.about}: ${want.type.name} (got ${String(err)})`);
  t.match((err as Error | undefined)?.message ?? '', want.message, `${want.about}: message`);
}

async function tree(s: CheckpointStorage): Promise<string[]> {
  return (await s.files()).map((f) => f.path);
}

t.test('resolveCheckpointDir takes paths and file:// URIs and refuses other schemes', async (t) => {
  t.equal(resolveCheckpointDir('file:///tmp/flink-checkpoints/full'), '/tmp/flink-checkpoints/full');
  t.equal(resolveCheckpointDir('file:/tmp/x'), '/tmp/x');
  t.equal(resolveCheckpointDir('file:///tmp/a%20b'), '/tmp/a b', 'percent-escapes are decoded');
  t.equal(resolveCheckpointDir('/var/ckpt/'), '/var/ckpt');
  t.equal(resolveCheckpointDir('ckpt'), join(process.cwd(), 'ckpt'), 'relative paths resolve against the working folder');
  t.equal(resolveCheckpointDir('odd:name'), join(process.cwd(), 'odd:name'), 'a colon without // is part of a name');
  for (const bad of ['s3://bucket/ckpt', 'hdfs://namenode:8020/flink', '', '   ', 'file://remote-host/x']) {
    t.throws(() => resolveCheckpointDir(bad), ConfigError, `"${bad}" is refused`);
  }
  t.throws(() => resolveCheckpointDir('s3://b'), /option checkpoint-dir: .*s3:\/\/b/);
  t.throws(() => resolveCheckpointDir('s3://b', '<dir>'), /option <dir>/);
});

t.test('newJobId is the sanitized name, a UTC stamp and 12 random hex digits', async (t) => {
  const at = Date.UTC(2026, 10, 25, 6, 15, 0, 123);
  t.match(newJobId('transactions', at), /^transactions-20261125T061500Z-[0-9a-f]{12}$/);
  t.match(newJobId('My job/v2 (test)', at), /^My_job_v2_test-20261125T061500Z-[0-9a-f]{12}$/);
  t.match(newJobId('../..', at), /^job-20261125T061500Z-[0-9a-f]{12}$/, 'nothing left of the name: a neutral one');
  const ids = new Set(Array.from({ length: 50 }, () => newJobId('j', at)));
  t.ok(ids.size > 1, 'the random suffix tells apart jobs started in the same second');
});

t.test('a written file reads back with the size and SHA-256 of its bytes', async (t) => {
  const s = await jobFolder(t);
  const parts = [randomBytes(1_500_000), randomBytes(10), new Uint8Array(0), randomBytes(1_200_000)];
  const w = await s.target(7, OWNER).createFile('exclusive', 'full');
  t.match(w.path, /^chk-7\/Keyed_Reduce_-_Print_2_3-full-[0-9a-f]{8}\.sfs$/);
  for (const p of parts) await w.write(p);
  const ref = await w.close(42, 5);
  const all = Buffer.concat(parts);
  t.same(ref, { path: w.path, bytes: all.length, sha256: createHash('sha256').update(all).digest('hex'), entries: 42, deletions: 5 }, 'entries and deletions as the writer counted them');
  t.ok((await readFile(join(s.jobDir, w.path))).equals(all), 'the bytes on disk');
  const chunks = await readAll(s, ref);
  t.ok(Buffer.concat(chunks).equals(all), 'the bytes read back');
  t.ok(chunks.length >= 3 && chunks.every((c) => c.length <= 1 << 20), 'read in chunks of at most 1 MiB');
  t.equal(await w.close(42), ref, 'close twice returns the same reference');
  await rejectsWith(t, w.write(randomBytes(1)), { type: Error, message: /after close/, about: 'write after close' });

  const shared = await s.target(7, OWNER).createFile('shared', 'delta');
  t.match(shared.path, /^shared\/Keyed_Reduce_-_Print_2_3-chk7-delta-[0-9a-f]{8}\.sfs$/);
  const sref = await shared.close(0);
  t.same([sref.bytes, sref.sha256], [0, createHash('sha256').digest('hex')], 'an empty file');
  t.same(Buffer.concat(await readAll(s, sref)).length, 0);
});

t.test('writes issued without waiting still land in order', async (t) => {
  const s = await jobFolder(t);
  const w = await s.target(1, 'op').createFile('exclusive', 'full');
  const parts = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1000, i));
  await Promise.all(parts.map((p) => w.write(p)));
  const ref = await w.close(20);
  t.ok((await readFile(join(s.jobDir, ref.path))).equals(Buffer.concat(parts)));
});

t.test('discard removes the file, at any time and more than once', async (t) => {
  const s = await jobFolder(t);
  const partial = await s.target(1, 'op').createFile('shared', 'base');
  await partial.write(randomBytes(100));
  await partial.discard();
  await partial.discard();
  t.notOk(existsSync(join(s.jobDir, partial.path)), 'a partial file is gone');
  await rejectsWith(t, partial.write(randomBytes(1)), { type: Error, message: /after close or discard/, about: 'write after discard' });
  await rejectsWith(t, partial.close(0), { type: Error, message: /after discard/, about: 'close after discard' });

  const done = await s.target(1, 'op').createFile('exclusive', 'full');
  await done.write(randomBytes(100));
  await done.close(1);
  await done.discard();
  t.notOk(existsSync(join(s.jobDir, done.path)), 'a closed file is gone');

  const racing = await s.target(1, 'op').createFile('exclusive', 'full');
  const writing = racing.write(randomBytes(1 << 20));
  await racing.discard();
  await writing;
  t.notOk(existsSync(join(s.jobDir, racing.path)), 'discard waits for the write in flight');
});

t.test('a write error fails the checkpoint and names the file', async (t) => {
  const s = await jobFolder(t);
  const w = await s.target(3, 'op').createFile('exclusive', 'full');
  // A full disk on demand: every FileHandle shares this prototype, so its write can be made to fail.
  const probe = await fsp.open(join(s.jobDir, w.path), 'r');
  const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
  await probe.close();
  const write = proto.write;
  proto.write = async () => {
    throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  };
  t.teardown(() => {
    proto.write = write;
  });
  await rejectsWith(t, w.write(randomBytes(10)), { type: CheckpointError, message: `checkpoint 3: writing ${join(s.jobDir, w.path)}: no space left`, about: 'write' });
  await rejectsWith(t, w.close(0), { type: CheckpointError, message: /no space left/, about: 'close after a failed write' });
  proto.write = write;
  await w.discard();
  t.notOk(existsSync(join(s.jobDir, w.path)));
});

t.test('a damaged, truncated or missing file is a CorruptCheckpointError naming it', async (t) => {
  const s = await jobFolder(t);
  const data = randomBytes(3 << 20);
  const flipped = await store(s, 1, 'shared', data);
  const file = join(s.jobDir, flipped.path);
  const bytes = await readFile(file);
  bytes[bytes.length - 5]! ^= 0xff;
  await writeFile(file, bytes);
  const chunks: number[] = [];
  const err = await (async () => {
    for await (const c of s.source().read(flipped)) chunks.push(c.length);
  })().then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof CorruptCheckpointError, 'a flipped byte');
  t.match((err as Error).message, file);
  t.match((err as Error).message, /SHA-256/);
  t.equal(chunks.reduce((a, b) => a + b, 0), data.length, 'the checksum is judged after the last chunk');

  const cut = await store(s, 1, 'exclusive', data);
  await truncate(join(s.jobDir, cut.path), data.length - 1);
  await rejectsWith(t, readAll(s, cut), { type: CorruptCheckpointError, message: new RegExp(`${cut.path}.*${data.length - 1} bytes on disk, ${data.length} expected`), about: 'truncated' });

  const gone = await store(s, 1, 'exclusive', data);
  await rm(join(s.jobDir, gone.path));
  await rejectsWith(t, readAll(s, gone), { type: CorruptCheckpointError, message: new RegExp(`${gone.path}.*missing`), about: 'deleted' });

  await rejectsWith(t, readAll(s, { ...gone, path: 'shared/../../etc/passwd' }), { type: CorruptCheckpointError, message: /not a path inside the job folder/, about: 'escaping path' });
  await rejectsWith(t, readAll(s, { ...gone, path: '/etc/passwd' }), { type: CorruptCheckpointError, message: /not a path inside/, about: 'absolute path' });

  await writeFile(join(s.jobDir, 'chk-1', 'extra'), 'x');
  await s.writeMetadata(metadata(1, [flipped, cut, gone]));
  const problems = await s.verify(1);
  t.equal(problems.length, 3, 'verify reports each bad file');
  t.match(problems.join('\n'), flipped.path);
});

t.test('metadata is written atomically and verified when read', async (t) => {
  const s = await jobFolder(t);
  const ref = await store(s, 4, 'exclusive', randomBytes(100));
  const meta = metadata(4, [ref]);
  meta.subtasks[0]!.sourcePosition = { z: 1, a: [1, 'two'] };
  const dir = join(s.jobDir, 'chk-4');
  const rename = fsp.rename;
  let seen: string[] = [];
  fsp.rename = async (from, to) => {
    seen = await readdir(dir);
    const tmp = JSON.parse(await readFile(from, 'utf8')) as { metadata: CheckpointMetadata };
    t.same(tmp.metadata, meta, 'the temporary file is complete before the rename');
    return rename(from, to);
  };
  try {
    await s.writeMetadata(meta);
  } finally {
    fsp.rename = rename;
  }
  t.notOk(seen.includes('_metadata'), 'no _metadata before the rename');
  t.ok(seen.some((n) => /^_metadata\.tmp-[0-9a-f]+$/.test(n)), 'the temporary file sits beside it');
  t.same((await readdir(dir)).sort(), ['_metadata', ref.path.slice('chk-4/'.length)].sort(), 'the temporary file is gone');
  t.same(await s.readMetadata(4), meta);
  t.same(await s.verify(4), []);

  fsp.rename = async () => {
    throw Object.assign(new Error('disk gone'), { code: 'EIO' });
  };
  try {
    await rejectsWith(t, s.writeMetadata(metadata(5, [])), { type: CheckpointError, message: /checkpoint 5: writing .*chk-5\/_metadata: disk gone/, about: 'a failed rename' });
  } finally {
    fsp.rename = rename;
  }
  t.same(await readdir(join(s.jobDir, 'chk-5')), [], 'neither _metadata nor a temporary file is left');
  t.same(await s.completedIds(), [4]);
});

t.test('damaged metadata is detected', async (t) => {
  const s = await jobFolder(t);
  const file = join(s.jobDir, 'chk-2', '_metadata');
  await s.writeMetadata(metadata(2, []));
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace('"jobName": "job"', '"jobName": "jab"'));
  await rejectsWith(t, s.readMetadata(2), { type: CorruptCheckpointError, message: /chk-2\/_metadata: the metadata does not match its SHA-256/, about: 'an edited value' });
  await writeFile(file, text.slice(0, text.length / 2));
  await rejectsWith(t, s.readMetadata(2), { type: CorruptCheckpointError, message: /chk-2\/_metadata: unreadable/, about: 'truncated JSON' });
  await writeFile(file, JSON.stringify({ metadata: metadata(2, []) }));
  await rejectsWith(t, s.readMetadata(2), { type: CorruptCheckpointError, message: /no checksum/, about: 'no checksum' });
  await rm(file);
  await rejectsWith(t, s.readMetadata(2), { type: CorruptCheckpointError, message: /chk-2\/_metadata: the metadata file is missing/, about: 'missing' });
  await s.writeMetadata(metadata(2, []));
  await fsp.mkdir(join(s.jobDir, 'chk-3'));
  await fsp.copyFile(file, join(s.jobDir, 'chk-3', '_metadata'));
  await rejectsWith(t, s.readMetadata(3), { type: CorruptCheckpointError, message: /holds checkpoint 2, not 3/, about: 'a copied metadata file' });
  t.match((await s.verify(3))[0], /holds checkpoint 2/);
});

t.test('completedIds lists checkpoints with _metadata in numeric order', async (t) => {
  const s = await jobFolder(t);
  t.same(await s.completedIds(), [], 'no job folder yet');
  for (const id of [10, 2, 9]) await s.writeMetadata(metadata(id, []));
  await store(s, 11, 'exclusive', randomBytes(5));
  t.same(await s.completedIds(), [2, 9, 10]);
});

t.test('discard removes an aborted checkpoint and the shared files it wrote', async (t) => {
  const s = await jobFolder(t);
  const keep = await store(s, 1, 'shared', randomBytes(10));
  const own = await store(s, 2, 'exclusive', randomBytes(10));
  const delta = await store(s, 2, 'shared', randomBytes(10));
  await s.discard(2, [own.path, delta.path, 'shared/never-written.sfs']);
  t.same(await tree(s), [keep.path]);
});

t.test('sweep deletes exactly what the kept checkpoints do not reference', async (t) => {
  const s = await jobFolder(t);
  const base = await store(s, 1, 'shared', randomBytes(300));
  const own1 = await store(s, 1, 'exclusive', randomBytes(30));
  const delta2 = await store(s, 2, 'shared', randomBytes(20));
  const delta3 = await store(s, 3, 'shared', randomBytes(20));
  const own3 = await store(s, 3, 'exclusive', randomBytes(30));
  const abortedShared = await store(s, 4, 'shared', randomBytes(40));
  const abortedOwn = await store(s, 4, 'exclusive', randomBytes(40));
  const m1 = metadata(1, [base, own1]);
  const m2 = metadata(2, [base, delta2], [delta2.path]);
  const m3 = metadata(3, [base, delta2, delta3, own3], [delta3.path, own3.path]);
  for (const m of [m1, m2, m3]) await s.writeMetadata(m);
  await writeFile(join(s.jobDir, 'chk-3', '_metadata.tmp-dead'), '{');
  await writeFile(join(s.jobDir, 'shared', 'stray.sfs'), 'x');
  await writeFile(join(s.jobDir, 'README'), 'not ours');
  const before = await tree(s);

  const removed = await s.sweep([m3]);
  const expectedLeft = [base.path, delta2.path, delta3.path, own3.path, 'chk-3/_metadata', 'README'].sort();
  t.same(await tree(s), expectedLeft);
  t.same(removed, before.filter((p) => !expectedLeft.includes(p)).sort(), 'returns every removed file');
  t.ok(removed.includes(abortedShared.path) && removed.includes(abortedOwn.path) && removed.includes('chk-1/_metadata'));
  t.notOk(existsSync(join(s.jobDir, 'chk-1')) || existsSync(join(s.jobDir, 'chk-4')), 'the folders are gone');
  t.same(await s.sweep([m3]), [], 'a second sweep finds nothing');
  t.same(await s.sweep([]), [base.path, delta2.path, delta3.path, 'chk-3/_metadata', own3.path].sort(), 'keeping nothing leaves only foreign files');
  t.same(await tree(s), ['README']);
});
