import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshSplit, lineAt, restoredCsvSplits, type CsvSplit } from '../../../operators/sources/csv-splits.js';
import type { CsvSourceOptions } from '../../../operators/sources/csv.js';
import type { SourceSplitState } from '../../../operators/api.js';
import { ConfigError, InputError } from '../../../base/errors.js';
import { mulberry32 } from '../../../base/random.js';
import { readAll, type ReadResult } from '../../support/csv.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapflow-csv-splits-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function file(content: string): string {
  const p = path.join(dir, `f${++fileCount}.csv`);
  fs.writeFileSync(p, content);
  return p;
}

/**
 * A seeded file of `rows` records whose cuts can fall anywhere awkward: quoted fields with
 * line breaks, escaped and literal quotes, CRLF endings, blank lines, multi-byte characters.
 */
function awkwardCsv(rows: number, seed: number): string {
  const random = mulberry32(seed);
  const out = ['id,text,n\n'];
  for (let i = 0; i < rows; i++) {
    const r = random();
    const text = r < 0.2 ? `"line ${i}\nnext ""${i}""\r\nend"` : r < 0.3 ? `a"b${i}` : r < 0.4 ? `é€${i}` : r < 0.5 ? `"q,${i}"` : `t${i}`;
    out.push(`${i},${text},${i * 3}${random() < 0.2 ? '\r\n' : '\n'}`);
    if (random() < 0.1) out.push('\n');
  }
  return out.join('');
}

const OPTS = { types: { id: 'integer', n: 'integer' } } as const;

function ids(records: ReadResult['records']): number[] {
  return records.map((r) => r.id as number);
}

function restoredFrom(parallelism: number, positions: CsvSplit[][], inherit: (k: number) => boolean): SourceSplitState[] {
  return positions.flatMap((position, subtask) => (inherit(subtask) ? [{ subtask, parallelism, position }] : []));
}

t.test('fresh splits cut the records after the header into contiguous byte ranges', async (t) => {
  for (const p of [1, 2, 3, 7]) {
    const splits = Array.from({ length: p }, (_, i) => freshSplit(10, 2, 1000, i, p));
    t.strictSame(splits[0], p === 1 ? { offset: 10, line: 2 } : { offset: 10, line: 2, end: splits[1]!.offset }, `p = ${p}: the first starts at the record after the header`);
    for (let i = 1; i < p; i++) {
      t.equal(splits[i - 1]!.end, splits[i]!.offset, `p = ${p}: split ${i} starts where ${i - 1} ends`);
      t.equal(splits[i]!.align, true, `p = ${p}: split ${i} is aligned to a record on open`);
    }
    t.equal(splits[p - 1]!.end, undefined, `p = ${p}: the last reads to the end of the file`);
  }
});

t.test('at parallelism 1 to 5 the subtasks read every record once, in file order within each', async (t) => {
  const content = awkwardCsv(300, 7);
  const p = file(content);
  const full = ids((await readAll({ path: p, ...OPTS })).records);
  t.strictSame(full, Array.from({ length: 300 }, (_, i) => i), 'the file read whole');
  for (const parallelism of [1, 2, 3, 4, 5]) {
    for (const chunkBytes of [undefined, 5, 64]) {
      const parts: number[][] = [];
      for (let subtask = 0; subtask < parallelism; subtask++) {
        parts.push(ids((await readAll({ path: p, ...OPTS, chunkBytes }, 17, { subtask, parallelism })).records));
      }
      t.strictSame(parts.flat(), full, `p = ${parallelism}, chunkBytes ${chunkBytes}`);
      if (parallelism > 1) t.ok(parts.every((part) => part.length > 0), `p = ${parallelism}: every subtask reads a share`);
    }
  }
});

t.test('a split aligned at any byte starts at the first record at or after it', async (t) => {
  const content = awkwardCsv(25, 3);
  const p = file(content);
  const full = ids((await readAll({ path: p, ...OPTS })).records);
  const headerEnd = content.indexOf('\n') + 1;
  const size = Buffer.byteLength(content);
  for (let cut = headerEnd; cut <= size; cut++) {
    for (const chunkBytes of [undefined, 4]) {
      const opts: CsvSourceOptions = { path: p, ...OPTS, chunkBytes };
      const before = await readAll(opts, 1000, { restored: [{ subtask: 0, parallelism: 2, position: [{ offset: headerEnd, end: cut, line: 2 }] }] });
      const after = await readAll(opts, 1000, { restored: [{ subtask: 1, parallelism: 2, position: [{ offset: cut, align: true }] }] });
      if (!t.strictSame([...ids(before.records), ...ids(after.records)], full, `cut at byte ${cut}, chunkBytes ${chunkBytes}`)) return;
    }
  }
});

t.test('positions taken part way restore at the same, a lower and a higher parallelism', async (t) => {
  const p = file(awkwardCsv(200, 11));
  const opts: CsvSourceOptions = { path: p, ...OPTS, chunkBytes: 32 };
  const full = ids((await readAll(opts)).records);
  const former = 3;
  const reads = await Promise.all(Array.from({ length: former }, (_, subtask) => readAll(opts, 1, { subtask, parallelism: former })));
  for (const taken of [0, 1, 9, 40]) {
    // Each former subtask stopped after `taken` of its records (or at its end).
    const at = reads.map((r) => Math.min(taken, r.records.length));
    const emitted = reads.flatMap((r, k) => ids(r.records.slice(0, at[k])));
    const positions = reads.map((r, k) => r.positions[at[k]!]!);
    for (const parallelism of [1, 2, 3, 4]) {
      const resumed: number[] = [];
      for (let subtask = 0; subtask < parallelism; subtask++) {
        const restored = restoredFrom(former, positions, (k) => k % parallelism === subtask);
        const read = await readAll(opts, 7, { subtask, parallelism, restored });
        if (parallelism === former) t.strictSame(read.positions[0], positions[subtask], `p = ${former}: subtask ${subtask} resumes at its position`);
        resumed.push(...ids(read.records));
      }
      t.strictSame([...emitted, ...resumed].sort((a, b) => a - b), full, `${taken} taken per subtask, restored at p = ${parallelism}`);
    }
  }
});

t.test('errors and skipped rows in a later split name the physical line', async (t) => {
  const lines = ['id,text', '1,"a\nb"', '2,x', '3,"c\r\nd"'];
  for (let i = 4; i < 60; i++) lines.push(`${i},t${i}`);
  lines[50] = '50';
  const content = lines.join('\n') + '\n';
  const p = file(content);
  const physical = content.slice(0, content.indexOf('\n50\n') + 1).split('\n').length;
  const share = { subtask: 1, parallelism: 2 };
  const err = await readAll({ path: p, types: { id: 'integer' } }, 1000, share).catch((e: unknown) => e);
  t.ok(err instanceof InputError, 'an InputError');
  t.match((err as Error).message, new RegExp(`:${physical}: expected 2 fields but found 1`), `names line ${physical}`);
  const skipped = await readAll({ path: p, types: { id: 'integer' }, onBadRow: 'skip' }, 1, share);
  t.strictSame(skipped.metrics.skippedSamples, [`${p}:${physical}: expected 2 fields but found 1`]);
  t.equal(skipped.positions[0]![0]!.line, undefined, 'a fresh later split does not know its line');
  t.equal(skipped.positions.at(-2)![0]!.line, physical + (59 - 50), 'once a line was named, positions carry it');
});

t.test('lineAt counts the line feeds before an offset', async (t) => {
  const p = file('a\nbb\n\nccc');
  const fd = fs.openSync(p, 'r');
  t.teardown(() => fs.closeSync(fd));
  t.strictSame([0, 1, 2, 4, 5, 6, 9].map((o) => lineAt(fd, o)), [1, 1, 2, 2, 3, 4, 4]);
});

t.test('restored positions are checked', async (t) => {
  const bad: [unknown, RegExp][] = [
    [{ offset: 3, line: 2 }, /former subtask 0 must be an array/],
    [[{ offset: -1 }], /offset is not a non-negative integer/],
    [[{ offset: 5, end: 4 }], /end is not an integer ≥ its offset/],
    [[{ offset: 5, line: 0 }], /line is not a positive integer/],
    [[{ offset: 5, align: 'yes' }], /align is not a boolean/],
    [[null], /not an object/],
  ];
  for (const [position, message] of bad) {
    t.throws(() => restoredCsvSplits([{ subtask: 0, parallelism: 1, position }]), { name: 'ConfigError', message }, JSON.stringify(position));
  }
  const overlapping = [{ subtask: 0, parallelism: 2, position: [{ offset: 10, end: 50 }] }, { subtask: 1, parallelism: 2, position: [{ offset: 40 }] }];
  const err = t.throws(() => restoredCsvSplits(overlapping), { name: 'ConfigError', message: /splits overlap/ });
  t.ok(err instanceof ConfigError && err.detail.option === 'restored');
  const ordered = restoredCsvSplits([{ subtask: 1, parallelism: 2, position: [{ offset: 50 }] }, { subtask: 0, parallelism: 2, position: [{ offset: 10, end: 50, line: 2 }] }]);
  t.strictSame(ordered, [{ offset: 10, end: 50, line: 2 }, { offset: 50 }], 'sorted by offset');
  const p = file('a,b\n1,2\n3,4\n');
  await t.rejects(readAll({ path: p }, 10, { restored: [{ subtask: 0, parallelism: 1, position: [{ offset: 2 }] }] }), { name: 'InputError', message: /inside the header/ });
});
