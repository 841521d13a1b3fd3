/**
 * The single-threaded baseline of `snapflow bench cost`: the cost job's computation written by
 * hand, as a user would write it without a stream processor. It streams the transaction file,
 * splits lines, keeps a count and a sum per customer in a Map and writes every update as a
 * JSON line, waiting for the output stream when it asks to. It reads files as `snapflow gen`
 * writes them (no quoted fields). Run it alone with
 * `node dist/bench/cost/baseline.js INPUT OUTPUT`: it prints `{"rows","ms"}`.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** What one baseline run did. */
export interface BaselineRun {
  rows: number;
  ms: number;
}

/** Reads `input`, writes one JSON line per row to `output`. */
export async function runBaseline(input: string, output: string): Promise<BaselineRun> {
  const started = performance.now();
  const totals = new Map<string, { count: number; sum: number }>();
  const out = createWriteStream(output);
  let customer = -1;
  let amount = -1;
  let rows = 0;
  let rest = '';
  const row = (line: string): string => {
    const cells = line.split(',');
    if (customer < 0) {
      customer = cells.indexOf('customer_id');
      amount = cells.indexOf('amount');
      if (customer < 0 || amount < 0) throw new Error(`${input}: line 1 names no customer_id and amount columns`);
      return '';
    }
    const id = cells[customer];
    let t = totals.get(id);
    if (t === undefined) totals.set(id, (t = { count: 0, sum: 0 }));
    t.count++;
    t.sum += Number(cells[amount]);
    rows++;
    return JSON.stringify({ customer_id: id, count: t.count, sum: t.sum }) + '\n';
  };
  for await (const chunk of createReadStream(input, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop()!;
    let batch = '';
    for (const line of lines) if (line.length > 0) batch += row(line);
    if (!out.write(batch)) await once(out, 'drain');
  }
  if (rest.length > 0) out.write(row(rest));
  out.end();
  await once(out, 'close');
  return { rows, ms: performance.now() - started };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output] = process.argv.slice(2);
  if (input === undefined || output === undefined) {
    process.stderr.write('usage: node dist/bench/cost/baseline.js INPUT OUTPUT\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(await runBaseline(input, output)) + '\n');
}
