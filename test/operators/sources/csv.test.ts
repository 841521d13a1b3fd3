import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsvReader, validateCsvOptions, type CsvSourceOptions } from '../../../operators/sources/csv.js';
import { readAll } from '../../support/csv.js';
import { ConfigError, InputError } from '../../../base/errors.js';

// Compiled to dist/test/operators/sources/, four levels below the repository root.
const DATA_CSV = fileURLToPath(new URL('../../../../data/data.csv', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapflow-csv-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function file(content: string | Buffer): string {
  const p = path.join(dir, `f${++fileCount}.csv`);
  fs.writeFileSync(p, content);
  return p;
}

async function badRowError(content: string, options: Partial<CsvSourceOptions> = {}): Promise<InputError> {
  const p = file(content);
  try {
    await readAll({ path: p, ...options });
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

t.test('reads data/data.csv with typed columns', async (t) => {
  const types = { transaction_id: 'integer', amount: 'number' } as const;
  const { records, positions } = await readAll({ path: DATA_CSV, types, required: ['customer_id', 'timestamp'] }, 7);
  t.equal(records.length, 50);
  t.same(records.map((r) => r.transaction_id), Array.from({ length: 50 }, (_, i) => 1000 + i));
  const amount = new Map(records.map((r) => [r.transaction_id, r.amount]));
  t.equal(amount.get(1000), 7341.46);
  t.equal(amount.get(1001), 3799.52);
  t.equal(amount.get(1049), 1235.08);
  t.same(Object.keys(records[0]), ['transaction_id', 'customer_id', 'amount', 'timestamp']);
  t.ok(records.every((r) => typeof r.amount === 'number' && r.amount >= 10 && r.amount <= 9999.99));
  t.ok(records.every((r) => typeof r.customer_id === 'string' && /^C0[1-8]$/.test(r.customer_id)));
  const times = records.map((r) => Date.parse(r.timestamp as string));
  t.equal(times[0], Date.parse('2024-03-01T09:00:00Z'));
  t.ok(times.every((ms, i) => i === 0 || ms > times[i - 1]), 'timestamps increase');
  t.same(new Set(records.map((r) => r.customer_id)).size, 8);
  t.equal(positions[0][0].line, 2);
});

const TRICKY =
  '\uFEFFid,name,note\r\n' +
  '1,"a,b","say ""hi"""\r\n' +
  '\r\n' +
  '2,"multi\nline\r\nvalue",plain\n' +
  '\n\n' +
  '3,é€😀,""\n' +
  '4,x"y,"trailing"';
const TRICKY_RECORDS = [
  { id: 1, name: 'a,b', note: 'say "hi"' },
  { id: 2, name: 'multi\nline\r\nvalue', note: 'plain' },
  { id: 3, name: 'é€😀', note: '' },
  { id: 4, name: 'x"y', note: 'trailing' },
];

t.test('quoting, escapes, embedded newlines, CRLF, BOM, blank lines, no final newline', async (t) => {
  const p = file(TRICKY);
  for (const chunkBytes of [undefined, 1, 2, 3, 7, 13]) {
    const { records, positions } = await readAll({ path: p, types: { id: 'integer' }, chunkBytes }, 1);
    t.same(records, TRICKY_RECORDS, `chunkBytes ${chunkBytes}`);
    // Record lines: 2, 4 (spans 4-6), 9, 10; positions name the line after each record.
    // After the last record the split is either seen to be over (no splits left) or not yet.
    const last = positions.at(-1)!;
    t.same(positions.slice(0, -1).map((pos) => pos[0].line), [2, 3, 7, 10], `lines with chunkBytes ${chunkBytes}`);
    t.ok(last.length === 0 || (last[0].line === 11 && last[0].offset === Buffer.byteLength(TRICKY)), `end position with chunkBytes ${chunkBytes}`);
  }
  const err = await badRowError('a,b\n"x\ny",1\n"p\nq"\n');
  t.match(err.message, /:4: expected 2 fields but found 1/, 'line of a record after an embedded newline');
});

t.test('other delimiters, booleans, empty strings, unusual column names', async (t) => {
  const p = file('flag\tn\t__proto__\tx\nTRUE\t-1.5e3\tv\t\nfalse\t.5\tw\tz\n');
  const { records } = await readAll({ path: p, delimiter: '\t', types: { flag: 'boolean', n: 'number' } });
  t.same(records.map((r) => [r.flag, r.n, r.x]), [[true, -1500, ''], [false, 0.5, 'z']]);
  t.equal(Object.getPrototypeOf(records[0]), Object.prototype);
  t.same(Object.keys(records[1]), ['flag', 'n', '__proto__', 'x']);
  t.equal(records[1]['__proto__'], 'w');
});

t.test('resuming at every record boundary yields each record exactly once', async (t) => {
  const lines = ['k,v,w'];
  for (let i = 0; i < 40; i++) {
    if (i % 7 === 3) lines.push('');
    lines.push(i % 5 === 0 ? `${i},"q,${i}\n""x""",${i * 2}` : `${i},v${i},${i * 2}`);
  }
  const variants = { lf: lines.join('\n') + '\n', crlf: lines.join('\r\n'), bom: '\uFEFF' + lines.join('\n') };
  for (const [name, content] of Object.entries(variants)) {
    const p = file(content);
    for (const chunkBytes of [7, undefined]) {
      const opts: CsvSourceOptions = { path: p, types: { k: 'integer', w: 'integer' }, chunkBytes };
      const full = await readAll(opts, 1);
      t.equal(full.records.length, 40);
      t.same(full.records.map((r) => r.k), Array.from({ length: 40 }, (_, i) => i));
      for (let k = 0; k < full.positions.length; k++) {
        const restored = [{ subtask: 0, parallelism: 1, position: full.positions[k] }];
        const rest = await readAll(opts, 3, { restored });
        t.same([...full.records.slice(0, k), ...rest.records], full.records, `${name} chunk ${chunkBytes} split ${k}`);
        const resumed = await readAll(opts, 1, { restored });
        t.same(resumed.positions, full.positions.slice(k), `${name} positions after split ${k}`);
      }
    }
  }
});

t.test('a stored position that is not a line start is rejected', async (t) => {
  const p = file('a,b\n1,2\n3,4\n');
  await t.rejects(readAll({ path: p, startAt: { offset: 9, line: 3 } }), { name: 'InputError', message: /not at the start of a line/ });
  await t.rejects(readAll({ path: p, startAt: { offset: 99, line: 3 } }), { name: 'InputError', message: /beyond the end/ });
  t.same((await readAll({ path: p, startAt: { offset: 12, line: 4 } })).records, []);
});

t.test("onBadRow 'fail' throws an InputError naming file, line and reason", async (t) => {
  const cases: [string, Partial<CsvSourceOptions>, number, string][] = [
    ['a,b\n1,2\n3\n', {}, 3, 'expected 2 fields but found 1'],
    ['a,b\n1,2,3\n', {}, 2, 'expected 2 fields but found 3'],
    ['a,b\n1,2\n\n1,x\n', { types: { b: 'number' } }, 4, 'column "b": "x" is not a finite number'],
    ['a,b\n1,0x10\n', { types: { b: 'number' } }, 2, 'column "b": "0x10" is not a finite number'],
    ['a,b\n1,1e999\n', { types: { b: 'number' } }, 2, 'column "b": "1e999" is not a finite number'],
    ['a,b\n1,1.5\n', { types: { b: 'integer' } }, 2, 'column "b": "1.5" is not a safe integer'],
    ['a,b\n1,9007199254740993\n', { types: { b: 'integer' } }, 2, 'column "b": "9007199254740993" is not a safe integer'],
    ['a,b\n1,yes\n', { types: { b: 'boolean' } }, 2, 'column "b": "yes" is not true or false'],
    ['a,b\n1,\n', { types: { b: 'integer' } }, 2, 'missing value in column "b"'],
    ['a,b\n,2\n', { required: ['a'] }, 2, 'missing value in column "a"'],
    ['a,b\n1,2\n"open,3\n4,5\n', {}, 3, 'unterminated quoted field 1'],
    ['a,b\n"x"y,2\n', {}, 2, 'unexpected character after the closing quote of field 1'],
  ];
  for (const [content, options, line, reason] of cases) {
    const err = await badRowError(content, options);
    t.type(err, InputError);
    t.ok(err.message.includes(`f${fileCount}.csv:${line}: ${reason}`), `${err.message} names ${line}: ${reason}`);
    t.ok(err.message.includes(path.join(dir, `f${fileCount}.csv`)), 'message has the full path');
    t.equal(err.detail.line, line);
  }
});

t.test("onBadRow 'skip' counts bad rows and keeps ten samples", async (t) => {
  const rows = ['id,n'];
  for (let i = 0; i < 30; i++) rows.push(i % 2 === 0 ? `${i},${i}` : `${i},bad${i}`);
  const p = file(rows.join('\n'));
  const { records, metrics } = await readAll({ path: p, types: { n: 'integer' }, onBadRow: 'skip' }, 4);
  t.same(records.map((r) => r.n), Array.from({ length: 15 }, (_, i) => 2 * i));
  t.equal(metrics.skippedRows, 15);
  const samples = metrics.skippedSamples as string[];
  t.equal(samples.length, 10);
  t.equal(samples[0], `${p}:3: column "n": "bad1" is not a safe integer`);
  t.equal(samples[9], `${p}:21: column "n": "bad19" is not a safe integer`);
  const clean = await readAll({ path: DATA_CSV, onBadRow: 'skip' });
  t.equal(clean.metrics.skippedRows, 0);
  t.same(clean.metrics.skippedSamples, []);
});

t.test('header problems and missing files', async (t) => {
  const missing = path.join(dir, 'nope.csv');
  await t.rejects(readAll({ path: missing }), { name: 'InputError', message: new RegExp(`${missing.replace(/[.\\]/g, '\\$&')}: file not found`) });
  const cases: [string, Partial<CsvSourceOptions>, RegExp][] = [
    ['a,b\n1,2\n', { types: { x: 'number' } }, /:1: column "x" named in types is not in the header/],
    ['a,b\n1,2\n', { required: ['y'] }, /:1: column "y" named in required is not in the header/],
    ['', {}, /:1: the file is empty/],
    ['a,a\n', {}, /:1: column "a" appears twice/],
    ['a,,c\n', {}, /:1: column 2 of the header has an empty name/],
  ];
  for (const [content, options, message] of cases) {
    await t.rejects(readAll({ path: file(content), ...options }), { name: 'InputError', message });
  }
  t.same((await readAll({ path: file('a,b') })).records, [], 'a header without rows is an empty source');
});

t.test('bad options are ConfigErrors naming the option', async (t) => {
  const cases: [unknown, string][] = [
    [{ path: '' }, 'path'],
    [{ path: 'x', onBadRow: 'ignore' }, 'onBadRow'],
    [{ path: 'x', types: { amount: 'float' } }, 'types.amount'],
    [{ path: 'x', types: ['number'] }, 'types'],
    [{ path: 'x', required: 'a' }, 'required'],
    [{ path: 'x', delimiter: ';;' }, 'delimiter'],
    [{ path: 'x', delimiter: '"' }, 'delimiter'],
    [{ path: 'x', chunkBytes: 0 }, 'chunkBytes'],
    [{ path: 'x', chunkBytes: 1.5 }, 'chunkBytes'],
    [{ path: 'x', startAt: { offset: -1, line: 1 } }, 'startAt.offset'],
    [{ path: 'x', startAt: { offset: 0, line: 0 } }, 'startAt.line'],
  ];
  for (const [options, option] of cases) {
    const err = t.throws(() => new CsvReader(options as CsvSourceOptions), { name: 'ConfigError' }, option);
    t.ok(err instanceof ConfigError && err.detail.option === option && err.message.includes(`option ${option}:`), `${option} named`);
  }
  t.doesNotThrow(() => validateCsvOptions({ path: 'x', types: { a: 'boolean' }, delimiter: ';', onBadRow: 'skip' }));
});
