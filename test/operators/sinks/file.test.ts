/**
 * The file sink's two-phase commit, driven step by step through its operator hooks with a
 * fake context, and end to end through execute().
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSink, type FileSinkOptions } from '../../../operators/sinks/file.js';
import type { OperatorContext, RestoreContext } from '../../../operators/api.js';
import { systemClock } from '../../../base/clock.js';
import { execute } from '../../../runtime/execute.js';
import { defineJob } from '../../../runtime/api/job.js';
import type { StreamEnvironment } from '../../../runtime/api/environment.js';
import { parsePart } from '../../../operators/sinks/file-commit.js';
import { operatorContext } from '../../support/context.js';

const out = { collect: () => {} };

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-file-sink-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function context(over: Partial<OperatorContext> = {}): OperatorContext {
  return operatorContext('Sink: File', { clock: systemClock, checkpointing: true, ...over });
}

function sink(dir: string, ctx: Partial<OperatorContext> = {}, opts: FileSinkOptions = {}): FileSink {
  const s = new FileSink(dir, opts);
  s.open(context(ctx));
  return s;
}

const visible = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
const hidden = (dir: string, suffix: string) => readdirSync(dir).filter((n) => n.startsWith('.') && n.endsWith(suffix)).sort();
const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');
function failureOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  return new Error('expected a failure');
}
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Waits until the in-progress file, opened asynchronously, exists. */
async function created(dir: string): Promise<void> {
  for (let i = 0; i < 1000 && hidden(dir, '.inprogress').length === 0; i++) await turn();
}

t.test('checkpoints pre-commit pending files and completions commit them', async (t) => {
  const dir = tempDir(t);
  const s = sink(dir);
  t.strictSame(readdirSync(dir), [], 'nothing is created before the first record');
  s.process({ id: 1, v: 'a' }, out);
  s.process({ id: 2, v: 'b,c' }, out);
  await created(dir);
  const first = hidden(dir, '.inprogress');
  t.equal(first.length, 1);
  t.match(first[0], /^\.part-0-[0-9a-f]+\.csv\.inprogress$/, 'a hidden in-progress file');

  const snap1 = s.snapshotState(1);
  s.process({ id: 3, v: 'c' }, out);
  await snap1;
  t.strictSame(hidden(dir, '.pending'), ['.part-0-1.csv.pending']);
  t.strictSame(visible(dir), [], 'nothing visible before the checkpoint completes');
  t.equal(hidden(dir, '.inprogress').length, 1, 'records after the barrier went to a new file');
  t.not(hidden(dir, '.inprogress')[0], first[0]);

  s.notifyCheckpointComplete(1);
  t.strictSame(visible(dir), ['part-0-1.csv']);
  t.equal(read(dir, 'part-0-1.csv'), 'id,v\n1,a\n2,"b,c"\n', 'the records before barrier 1, with a header');

  await s.snapshotState(2);
  s.process({ id: 4, v: 'd' }, out);
  await s.snapshotState(3);
  t.strictSame(hidden(dir, '.pending'), ['.part-0-2.csv.pending', '.part-0-3.csv.pending']);
  s.notifyCheckpointComplete(3);
  t.strictSame(visible(dir), ['part-0-1.csv', 'part-0-2.csv', 'part-0-3.csv'], 'pending 2, whose checkpoint was aborted, is committed by 3');
  t.equal(read(dir, 'part-0-2.csv'), 'id,v\n3,c\n', 'each file has its own header');
  t.equal(read(dir, 'part-0-3.csv'), 'id,v\n4,d\n');

  await s.snapshotState(4);
  t.strictSame(hidden(dir, '.pending'), [], 'no records since the last barrier: no file');

  s.process({ id: 5, v: 'e' }, out);
  await s.finish();
  t.strictSame(visible(dir), ['part-0-1.csv', 'part-0-2.csv', 'part-0-3.csv'], 'with checkpointing, finish() commits nothing');
  const snap5 = s.snapshotState(5);
  s.notifyCheckpointComplete(5);
  await snap5;
  t.ok(visible(dir).includes('part-0-5.csv'), 'a completion seen before its pending file is durable still commits it');
  await s.close();
  t.strictSame(readdirSync(dir).sort(), ['part-0-1.csv', 'part-0-2.csv', 'part-0-3.csv', 'part-0-5.csv'], 'no hidden file is left');
});

t.test('without checkpointing, finish() commits part-<subtask>-0', async (t) => {
  const dir = tempDir(t);
  const s = sink(dir, { checkpointing: false, subtask: 3, parallelism: 4 }, { format: 'jsonl' });
  s.process({ a: 1, big: 2n }, out);
  s.process('x', out);
  await turn();
  t.strictSame(visible(dir), []);
  await s.finish();
  await s.close();
  t.strictSame(readdirSync(dir), ['part-3-0.jsonl']);
  t.equal(read(dir, 'part-3-0.jsonl'), '{"a":1,"big":"2"}\n"x"\n');

  const empty = tempDir(t);
  const e = sink(empty, { checkpointing: false });
  await e.finish();
  await e.close();
  t.strictSame(readdirSync(empty), [], 'no records, no file');
});

/** One former subtask's files around restore point 2. */
function seed(dir: string, j: number): void {
  for (const name of [`part-${j}-1.csv`, `part-${j}-3.csv`, `.part-${j}-2.csv.pending`, `.part-${j}-4.csv.pending`, `.part-${j}-0a1b.csv.inprogress`]) {
    writeFileSync(join(dir, name), name);
  }
}
const settled = (j: number) => [`part-${j}-1.csv`, `part-${j}-2.csv`];
const untouched = (j: number) => [`.part-${j}-0a1b.csv.inprogress`, `.part-${j}-2.csv.pending`, `.part-${j}-4.csv.pending`, `part-${j}-1.csv`, `part-${j}-3.csv`];
const restored = (c: number, previousParallelism: number, inheritedSubtasks: number[]): RestoreContext => ({ checkpointId: c, previousParallelism, inheritedSubtasks });
const ofSubtask = (dir: string, j: number) => readdirSync(dir).filter((n) => parsePart(n)?.subtask === j).sort();

t.test('restore at the same parallelism settles only the subtask\'s own files', async (t) => {
  const dir = tempDir(t);
  seed(dir, 0);
  seed(dir, 1);
  const s0 = sink(dir, { subtask: 0, parallelism: 2, restored: restored(2, 2, [0]) });
  t.strictSame(ofSubtask(dir, 0), settled(0), 'pending <= 2 committed; pending > 2, committed > 2 and in-progress deleted');
  t.strictSame(ofSubtask(dir, 1), untouched(1), 'the sibling\'s files are left to the sibling');
  t.equal(read(dir, 'part-0-2.csv'), '.part-0-2.csv.pending', 'committed by renaming');
  const s1 = sink(dir, { subtask: 1, parallelism: 2, restored: restored(2, 2, [1]) });
  t.strictSame(ofSubtask(dir, 1), settled(1));

  s1.process({ a: 1 }, out);
  await s1.snapshotState(3);
  s1.notifyCheckpointComplete(3);
  t.equal(read(dir, 'part-1-3.csv'), 'a\n1\n', 'the replay writes checkpoint 3 again');
  await Promise.all([s0.close(), s1.close()]);
});

t.test('restore 2 -> 1: the single subtask settles both former subtasks', async (t) => {
  const dir = tempDir(t);
  seed(dir, 0);
  seed(dir, 1);
  const s = sink(dir, { subtask: 0, parallelism: 1, restored: restored(2, 2, [0, 1]) });
  t.strictSame(readdirSync(dir).sort(), [...settled(0), ...settled(1)]);
  await s.close();
});

t.test('restore 1 -> 2: the new subtask inherits nothing and touches nothing', async (t) => {
  const dir = tempDir(t);
  seed(dir, 0);
  const s1 = sink(dir, { subtask: 1, parallelism: 2, restored: restored(2, 1, []) });
  t.strictSame(ofSubtask(dir, 0), untouched(0), 'subtask 1 leaves subtask 0\'s files alone');
  const s0 = sink(dir, { subtask: 0, parallelism: 2, restored: restored(2, 1, [0]) });
  t.strictSame(readdirSync(dir).sort(), settled(0));
  await Promise.all([s0.close(), s1.close()]);
});

t.test('restore from checkpoint 0 removes everything of the inherited subtasks', async (t) => {
  const dir = tempDir(t);
  seed(dir, 0);
  const s = sink(dir, { restored: restored(0, 1, [0]) });
  t.strictSame(readdirSync(dir), []);
  await s.close();
});

t.test('a fresh start on a folder with part files of an earlier run fails naming the folder', async (t) => {
  for (const name of ['part-0-0.csv', '.part-0-7.jsonl.pending', 'part-5-2.jsonl']) {
    const dir = tempDir(t);
    writeFileSync(join(dir, name), '');
    const err = failureOf(() => sink(dir, { parallelism: 2 }));
    t.equal(err.name, 'ConfigError', name);
    t.ok(err.message.includes(dir), `${name}: the message names the folder`);
    t.match(err.message, /holds part files of an earlier run; remove them or resume the job from a checkpoint/);
  }
  const dir = tempDir(t);
  writeFileSync(join(dir, '.part-1-00ff.csv.inprogress'), '');
  writeFileSync(join(dir, 'part-1-0.csv'), '');
  writeFileSync(join(dir, 'notes.txt'), '');
  const s = sink(dir, { subtask: 0, parallelism: 2 });
  t.pass('in-progress files, a sibling\'s committed file and other files do not stop subtask 0');
  t.throws(() => sink(dir, { subtask: 1, parallelism: 2 }), { name: 'ConfigError' }, 'the sibling itself does refuse its leftover');
  await s.close();
});

t.test('close after a failure removes only the in-progress file', async (t) => {
  const dir = tempDir(t);
  const s = sink(dir, {}, { format: 'jsonl' });
  s.process(1, out);
  await s.snapshotState(1);
  s.notifyCheckpointComplete(1);
  s.process(2, out);
  await s.snapshotState(2);
  s.process(3, out);
  await created(dir);
  t.equal(hidden(dir, '.inprogress').length, 1);
  await s.close();
  t.strictSame(readdirSync(dir).sort(), ['.part-0-2.jsonl.pending', 'part-0-1.jsonl']);
});

t.test('an in-progress file that cannot be written fails naming it', async (t) => {
  const dir = join(tempDir(t), 'out');
  const s = sink(dir, { checkpointing: false });
  rmSync(dir, { recursive: true });
  s.process({ a: 1 }, out);
  const err = await s.finish().then(() => new Error('expected a failure'), (e: Error) => e);
  t.match(err.message, /ENOENT/);
  t.match(err.message, new RegExp(`${dir}/\\.part-0-[0-9a-f]+\\.csv\\.inprogress`), 'names the file');
  await s.close();
});

t.test('a job with checkpointing writes every record exactly once into committed files', async (t) => {
  const dir = tempDir(t);
  const ckdir = tempDir(t);
  const records = Array.from({ length: 4000 }, (_, i) => ({ i }));
  await execute(defineJob((env: StreamEnvironment) => void env.fromCollection(records).rebalance().sinkToFile(dir, { format: 'jsonl' }).setParallelism(2)), {
    local: true, checkpointing: { intervalMs: 5, dir: ckdir }, channels: { batchSize: 50 },
  });
  t.strictSame(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no pending or in-progress file is left');
  const names = readdirSync(dir);
  t.ok(names.every((n) => /^part-[01]-[1-9]\d*\.jsonl$/.test(n)), 'only part files committed by checkpoints, none at finish()');
  const seen = names.flatMap((n) => read(dir, n).trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i));
  t.strictSame(seen.sort((a, b) => a - b), records.map((r) => r.i));
});
