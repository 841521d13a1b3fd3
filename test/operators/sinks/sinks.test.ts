import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { execute } from '../../../runtime/execute.js';
import { defineJob } from '../../../runtime/api/job.js';
import type { StreamEnvironment } from '../../../runtime/api/environment.js';
import { ConfigError, type SnapflowError } from '../../../base/errors.js';
import { DiscardSink } from '../../../operators/sinks/discard.js';
import type { JobResult } from '../../../runtime/job/stats.js';
import type { DataStream } from '../../../runtime/api/types.js';

function tempDir(t: Tap): string {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-sinks-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
type Tap = { teardown(fn: () => void): void };

async function run<T>(items: T[], sink: (s: DataStream<T>) => void, parallelism = 1): Promise<JobResult> {
  return execute(defineJob((env: StreamEnvironment) => sink(env.fromCollection(items))), { local: true, parallelism });
}

async function failureOf(p: Promise<unknown>): Promise<SnapflowError> {
  try {
    await p;
  } catch (err) {
    return err as SnapflowError;
  }
  throw new Error('expected the job to fail');
}

/** Collects everything written to it as one string. */
class MemoryWritable extends Writable {
  text = '';
  writes = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.text += chunk.toString();
    this.writes++;
    cb();
  }
}

t.test('file sink writes CSV with header and quoting', async (t) => {
  const dir = join(tempDir(t), 'out');
  const records = [
    { id: 1, text: 'plain', note: null },
    { id: 2, text: 'a,b', note: 'say "hi"' },
    { id: 3, text: 'line1\nline2', note: 'cr\rhere' },
    { id: 4, text: '', note: { nested: [1, 2] } },
  ];
  await run(records, (s) => void s.sinkToFile(dir));
  t.strictSame(readdirSync(dir), ['part-0-0.csv'], 'one part file named after the subtask, committed at the end');
  const text = readFileSync(join(dir, 'part-0-0.csv'), 'utf8');
  t.equal(text, [
    'id,text,note',
    '1,plain,',
    '2,"a,b","say ""hi"""',
    '3,"line1\nline2","cr\rhere"',
    '4,,"{""nested"":[1,2]}"',
    '',
  ].join('\n'));
});

t.test('file sink writes scalars under a value column', async (t) => {
  const dir = tempDir(t);
  await run(['x', 'y,z', 7], (s) => void s.sinkToFile(dir));
  t.equal(readFileSync(join(dir, 'part-0-0.csv'), 'utf8'), 'value\nx\n"y,z"\n7\n');
});

t.test('file sink writes JSON lines', async (t) => {
  const dir = tempDir(t);
  const records = [{ a: 1, s: 'x\ny' }, { a: 2, big: 10n }, 'str', [1, 2]];
  await run(records, (s) => void s.sinkToFile(dir, { format: 'jsonl' }));
  t.strictSame(readdirSync(dir), ['part-0-0.jsonl']);
  const lines = readFileSync(join(dir, 'part-0-0.jsonl'), 'utf8').split('\n');
  t.equal(lines.pop(), '', 'ends with a newline');
  t.strictSame(lines.map((l) => JSON.parse(l)), [{ a: 1, s: 'x\ny' }, { a: 2, big: '10' }, 'str', [1, 2]]);
});

t.test('file sink rejects an unknown format', async (t) => {
  const err = await failureOf(run([1], (s) => void s.sinkToFile(tempDir(t), { format: 'xml' as 'csv' })));
  t.equal(err.name, 'ConfigError');
  t.match(err.message, /format.*xml/);
});

t.test('file sink at parallelism 2 writes two part files whose union is the input', async (t) => {
  const dir = tempDir(t);
  const records = Array.from({ length: 3000 }, (_, i) => ({ i, s: `v,${i}` }));
  await run(records, (s) => void s.sinkToFile(dir), 2);
  t.strictSame(readdirSync(dir).sort(), ['part-0-0.csv', 'part-1-0.csv']);
  const rows: string[] = [];
  for (const f of ['part-0-0.csv', 'part-1-0.csv']) {
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    t.equal(lines[0], 'i,s', `${f} has the header`);
    t.equal(lines.pop(), '', `${f} ends with a newline`);
    t.ok(lines.length > 1, `${f} holds records`);
    rows.push(...lines.slice(1));
  }
  t.strictSame(rows.sort(), records.map((r) => `${r.i},"${r.s}"`).sort());

  const jdir = tempDir(t);
  await run(records, (s) => void s.sinkToFile(jdir, { format: 'jsonl' }), 2);
  t.strictSame(readdirSync(jdir).sort(), ['part-0-0.jsonl', 'part-1-0.jsonl']);
  const all = ['part-0-0.jsonl', 'part-1-0.jsonl'].flatMap((f) => readFileSync(join(jdir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { i: number }));
  t.strictSame(all.map((r) => r.i).sort((a, b) => a - b), records.map((r) => r.i));
});

t.test('file sink whose folder cannot be created fails the job', async (t) => {
  const base = tempDir(t);
  const file = join(base, 'not-a-dir');
  writeFileSync(file, 'x');
  const err = await failureOf(run([1, 2, 3], (s) => void s.sinkToFile(join(file, 'out'))));
  t.ok(err instanceof Error);
  t.match(err.message, /ENOTDIR|EEXIST|not a directory/i);
  t.match(err.message, /Sink: File/, 'names the sink');
});

t.test('file sink refuses a folder holding an earlier run\'s output', async (t) => {
  const dir = tempDir(t);
  await run([{ a: 1 }], (s) => void s.sinkToFile(dir, { format: 'jsonl' }));
  const err = await failureOf(run([{ a: 2 }], (s) => void s.sinkToFile(dir, { format: 'jsonl' })));
  t.equal(err.name, 'ConfigError');
  t.ok(err.message.includes(dir), 'names the folder');
  t.match(err.message, /earlier run; remove them or resume the job from a checkpoint/);
  t.strictSame(readdirSync(dir), ['part-0-0.jsonl'], 'the earlier output is left as it was');
  t.equal(readFileSync(join(dir, 'part-0-0.jsonl'), 'utf8'), '{"a":1}\n');
});

t.test('print sink at parallelism 1 prints raw strings and JSON, no prefix', async (t) => {
  const target = new MemoryWritable();
  await run(['hello', { a: 1, b: 'x' }, 42, [1, 'two'], null], (s) => void s.print('p', target));
  t.equal(target.text, 'hello\n{"a":1,"b":"x"}\n42\n[1,"two"]\nnull\n');
  t.equal(target.writableEnded, false, 'print does not end its target');
});

t.test('print sink at parallelism 2 prefixes lines with the subtask', async (t) => {
  const target = new MemoryWritable();
  const records = Array.from({ length: 200 }, (_, i) => (i % 2 ? `s${i}` : { i }));
  await run(records, (s) => void s.print('p', target), 2);
  const lines = target.text.split('\n');
  t.equal(lines.pop(), '', 'ends with a newline');
  t.equal(lines.length, records.length, 'one line per record');
  t.equal(lines.filter((l) => !/^[12]> /.test(l)).length, 0, 'every line has a "1> " or "2> " prefix');
  t.ok(lines.some((l) => l.startsWith('1> ')) && lines.some((l) => l.startsWith('2> ')), 'both subtasks printed');
  const bodies = lines.map((l) => l.slice(3)).sort();
  t.strictSame(bodies, records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).sort());
});

t.test('collect sink returns every record under its name', async (t) => {
  const records = Array.from({ length: 2500 }, (_, i) => i);
  const res = await execute(defineJob((env: StreamEnvironment) => {
    const s = env.fromCollection(records);
    s.filter((x) => x % 2 === 0).collect('even');
    s.filter((x) => x % 2 === 1).collect('odd');
  }), { local: true, parallelism: 2 });
  t.strictSame(Object.keys(res.results).sort(), ['even', 'odd']);
  t.strictSame([...res.results.even].sort((a, b) => (a as number) - (b as number)), records.filter((x) => x % 2 === 0));
  t.strictSame([...res.results.odd].sort((a, b) => (a as number) - (b as number)), records.filter((x) => x % 2 === 1));
  const def = await run(['a', 'b'], (s) => void s.collect());
  t.strictSame(def.results.collect, ['a', 'b'], 'default sink name is "collect"');
});

t.test('two sinks with the same name throw ConfigError', async (t) => {
  const job = defineJob((env: StreamEnvironment) => {
    const s = env.fromCollection([1]);
    s.collect('dup');
    s.map((x) => x).collect('dup');
  });
  await t.rejects(execute(job, { local: true }), ConfigError);
  await t.rejects(execute(job, { local: true }), /"dup" is used by two sinks/);
  const mixed = defineJob((env: StreamEnvironment) => {
    const s = env.fromCollection([1]);
    s.print('same', new MemoryWritable());
    s.collect('same');
  });
  await t.rejects(execute(mixed, { local: true }), ConfigError, 'print and collect share the namespace');
});

t.test('discard sink counts what it dropped', async (t) => {
  const n = 160;
  const records = Array.from({ length: n }, (_, i) => ({ i }));
  const res = await run(records, (s) => void s.discard({}, 'Sink: D'));
  const stats = res.stats.actors.find((a) => a.operator.includes('Sink: D'));
  t.ok(stats, 'the sink reports statistics');
  t.equal(stats!.metrics.discarded, n);
});

t.test('discard sink validates ratePerSec', async (t) => {
  for (const bad of [0, -5, NaN, Infinity]) {
    t.throws(() => new DiscardSink({ ratePerSec: bad }), ConfigError, `ratePerSec ${bad} rejected`);
    const err = await failureOf(run([1], (s) => void s.discard({ ratePerSec: bad })));
    t.equal(err.name, 'ConfigError', `the job fails with ConfigError for ${bad}`);
    t.match(err.message, /ratePerSec/);
  }
  t.doesNotThrow(() => new DiscardSink({ ratePerSec: 0.5 }));
  const res = await run(Array.from({ length: 50 }, (_, i) => i), (s) => void s.discard({ ratePerSec: 1_000_000 }));
  t.equal(res.stats.actors.find((a) => a.operator.includes('Sink: Discard'))!.metrics.discarded, 50, 'a valid rate lets every record through');
});

t.test('CSV header names are quoted like values', async (t) => {
  // A column name with a comma or quote must not change the file's column count.
  const dir = tempDir(t);
  await run([{ 'a,b': 1, 'say "x"': 2 }], (s) => void s.sinkToFile(dir));
  t.equal(readFileSync(join(dir, 'part-0-0.csv'), 'utf8'), '"a,b","say ""x"""\n1,2\n');
});

t.test('a print target failing while full fails the job instead of crashing the process', async (t) => {
  // A target that errors while full must fail the job, never the process; a child keeps a regression contained.
  const url = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
  const script = `
    import { Writable } from 'node:stream';
    const { execute, defineJob } = await import(${url('../../../runtime/index.js')});
    let n = 0;
    const target = new Writable({ highWaterMark: 16, write: (c, e, cb) => (++n >= 2 ? cb(new Error('disk gone')) : cb()) });
    const job = defineJob((env) => void env.fromCollection(Array.from({ length: 20000 }, (_, i) => i)).print('p', target));
    try {
      await execute(job, { local: true, channels: { batchSize: 100 } });
      console.log('job succeeded');
    } catch (err) {
      console.log('job failed: ' + err.message);
    }
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  t.equal(child.status, 0, `child exits cleanly (stderr: ${child.stderr.split('\n').find((l) => /Error/.test(l)) ?? ''})`);
  t.match(child.stdout, /job failed: .*disk gone/, 'execute rejects with the stream error');
});

t.test('a failed job leaves no file sink part file open', { skip: existsSync('/proc/self/fd') ? false : 'needs /proc' }, async (t) => {
  // Each failed run would otherwise leak one descriptor per part file.
  const dir = tempDir(t);
  const openParts = () => readdirSync('/proc/self/fd').map((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return '';
    }
  }).filter((p) => p.startsWith(dir));
  const err = await failureOf(execute(defineJob((env: StreamEnvironment) => {
    env.fromCollection(Array.from({ length: 5000 }, (_, i) => i))
      .map((x) => {
        if (x === 3000) throw new Error('boom');
        return x;
      }, 'Fail')
      .rebalance().sinkToFile(dir).setParallelism(2);
  }), { local: true }));
  t.match(err.message, /boom/);
  for (let i = 0; i < 50 && openParts().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.strictSame(openParts(), [], 'no descriptor of a part file is left open');
  for (let i = 0; i < 50 && readdirSync(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.strictSame(readdirSync(dir), [], 'the in-progress files of the failed run are removed');
});
