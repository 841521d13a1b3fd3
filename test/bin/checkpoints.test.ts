import t from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StateFileRef } from '../../backends/snapshot.js';
import type { CheckpointListing } from '../../runtime/storage/listing.js';
import { CheckpointStorage } from '../../runtime/storage/checkpoint-storage.js';
import type { CheckpointMetadata } from '../../runtime/storage/metadata.js';
import { newJobId } from '../../runtime/storage/paths.js';

const CLI = fileURLToPath(new URL('../../bin/snapflow.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

const root = mkdtempSync(join(tmpdir(), 'snapflow-cli-ckpt-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const checkpointDir = join(root, 'checkpoints');
const jobId = newJobId('cli test');
const jobDir = join(checkpointDir, jobId);
mkdirSync(join(checkpointDir, 'not-a-job'), { recursive: true });
const storage = new CheckpointStorage(jobDir);

async function file(id: number, scope: 'shared' | 'exclusive', label: string, bytes: number): Promise<StateFileRef> {
  const w = await storage.target(id, 'Keyed Reduce -> Print (1/1)').createFile(scope, label);
  await w.write(randomBytes(bytes));
  return w.close(bytes / 10);
}

function metadata(id: number, files: StateFileRef[], written: StateFileRef[], extra: Partial<CheckpointMetadata> = {}): CheckpointMetadata {
  return {
    format: 'snapflow-checkpoint', version: 1, jobId, jobName: 'cli test', checkpointId: id, savepoint: false, final: false,
    mode: 'incremental', backend: 'lmdb', maxParallelism: 128, triggeredAt: Date.UTC(2026, 10, 25, 6, 15, id), completedAt: Date.UTC(2026, 10, 25, 6, 15, id, 500),
    subtasks: [{
      chain: 1, subtask: 0, parallelism: 1,
      keyed: { backend: 'lmdb', mode: 'incremental', keyGroups: { start: 0, end: 127 }, files, written: written.map((f) => f.path), entries: 1 },
    }],
    stats: [],
    ...extra,
  };
}

/** Bytes and files under a folder, counted straight from the file system. */
function du(dir: string): { bytes: number; files: number } {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return { bytes: files.reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0), files: files.length };
}

const base = await file(1, 'shared', 'base', 300_000);
const delta2 = await file(2, 'shared', 'delta', 2_000);
const delta3 = await file(3, 'shared', 'delta', 3_000);
const own3 = await file(3, 'exclusive', 'timers', 100);
const aborted = await file(4, 'shared', 'delta', 4_000);
const abortedOwn = await file(4, 'exclusive', 'timers', 50);
await storage.writeMetadata(metadata(1, [base], [base], { mode: 'full' }));
await storage.writeMetadata(metadata(2, [base, delta2], [delta2]));
await storage.writeMetadata(metadata(3, [base, delta2, delta3, own3], [delta3, own3], { final: true, savepoint: true }));
const disk = du(jobDir);

t.test('the text lists every checkpoint, the real size and the orphans', async (t) => {
  const r = run('checkpoints', checkpointDir);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, `job ${jobId}`);
  for (const id of [1, 2, 3]) t.match(r.stdout, new RegExp(`^\\s+${id}\\s+2026-11-25T06:15:0${id}\\.500Z\\s`, 'm'), `checkpoint ${id} has a row`);
  t.match(r.stdout, /^\s+3\s.*incremental\s+lmdb\s+savepoint,final\s/m);
  t.match(r.stdout, `${disk.bytes.toLocaleString('en-US')} bytes) in ${disk.files} files`);
  t.match(r.stdout, /on disk: \d+\.\d MiB|on disk: \d+\.\d KiB/);
  t.match(r.stdout, `shared ${base.path}  293.0 KiB`);
  t.match(r.stdout, `orphans: 2 files, 4.0 KiB (4,050 bytes)`);
  t.match(r.stdout, aborted.path);
  t.match(r.stdout, abortedOwn.path);
  t.match(r.stdout, 'incomplete (no _metadata): chk-4');
  t.notMatch(r.stdout, 'not-a-job', 'folders without checkpoints are not jobs');
});

t.test('--json has the same figures, and a file:// URI of the job folder works', async (t) => {
  const r = run('checkpoints', pathToFileURL(jobDir).href, '--json');
  t.equal(r.status, 0, r.stderr);
  const listing = JSON.parse(r.stdout) as CheckpointListing;
  t.equal(listing.dir, jobDir);
  t.equal(listing.verified, false);
  t.equal(listing.jobs.length, 1);
  const job = listing.jobs[0]!;
  t.equal(job.jobId, jobId);
  t.same(job.disk, disk);
  t.same(job.checkpoints.map((c) => [c.id, c.checkpointedBytes, c.fullStateBytes, c.files]), [
    [1, 300_000, 300_000, 1],
    [2, 2_000, 302_000, 2],
    [3, 3_100, 305_100, 4],
  ]);
  t.same(job.checkpoints.map((c) => c.shared.map((f) => f.path)), [[base.path], [base.path, delta2.path], [base.path, delta2.path, delta3.path]]);
  t.same(job.checkpoints.map((c) => [c.mode, c.final, c.savepoint]), [['full', false, false], ['incremental', false, false], ['incremental', true, true]]);
  t.equal(job.checkpoints[0]!.completedAt, '2026-11-25T06:15:01.500Z');
  t.same(job.orphans, [{ path: abortedOwn.path, bytes: 50 }, { path: aborted.path, bytes: 4_000 }]);
  t.same(job.incomplete, [4]);
  t.notOk('problems' in job.checkpoints[0]!, 'no verdict without --verify');
});

t.test('--verify checks every file and marks the checkpoints a damaged file breaks', async (t) => {
  const good = run('checkpoints', jobDir, '--verify');
  t.equal(good.status, 0, good.stderr);
  t.match(good.stdout, /^\s+1\s.*\sok\s/m);
  const path = join(jobDir, ...delta2.path.split('/'));
  const bytes = readFileSync(path);
  bytes[0]! ^= 1;
  writeFileSync(path, bytes);
  t.teardown(() => {
    bytes[0]! ^= 1;
    writeFileSync(path, bytes);
  });
  const bad = run('checkpoints', jobDir, '--verify');
  t.equal(bad.status, 1);
  t.match(bad.stdout, /^\s+2\s.*\sBAD\s/m);
  t.match(bad.stdout, `BAD corrupt checkpoint file ${path}`);
  const listing = JSON.parse(run('checkpoints', jobDir, '--verify', '--json').stdout) as CheckpointListing;
  t.same(listing.jobs[0]!.checkpoints.map((c) => c.problems!.length), [0, 1, 1]);
  t.equal(run('checkpoints', jobDir).status, 0, 'without --verify the damage is not looked for');
});

t.test('a missing folder or a remote URI exits 2 with a message naming it', async (t) => {
  const missing = join(root, 'no-such-folder');
  const r = run('checkpoints', missing);
  t.equal(r.status, 2);
  t.match(r.stderr, `ConfigError: option <dir>: no checkpoint folder at "${missing}"`);
  const s3 = run('checkpoints', 's3://bucket/checkpoints');
  t.equal(s3.status, 2);
  t.match(s3.stderr, 's3://bucket/checkpoints');
  const help = run('checkpoints', '--help');
  t.equal(help.status, 0);
  t.match(help.stdout, /--verify/);
});
