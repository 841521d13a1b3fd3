/** `snapflow gen`: writes a large synthetic transaction file in the shape of data/data.csv. */
import type { Argv } from 'yargs';
import { writeTransactionsFile } from '../../operators/sources/transactions-file.js';
import { ConfigError } from '../../base/errors.js';
import { positiveInt } from '../args.js';

/** A one-line progress bar on stderr, redrawn at most every 200 ms, only on a terminal. */
function progressBar(total: number): { update(rows: number): void; done(): void } {
  if (!process.stderr.isTTY || total === 0) return { update: () => {}, done: () => {} };
  let last = 0;
  const draw = (rows: number) => {
    const share = rows / total;
    const width = 30;
    const filled = Math.round(share * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${rows.toLocaleString('en-US')} rows`);
  };
  return {
    update(rows) {
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      draw(rows);
    },
    done: () => (draw(total), process.stderr.write('\n')),
  };
}

/** Registers the gen command. */
export function genCommand(y: Argv): Argv {
  return y.command(
    'gen',
    'Write a synthetic transaction file (transaction_id, customer_id, amount, timestamp) with bounded memory, deterministic for a seed',
    (c) => c
      .option('rows', { type: 'string', demandOption: true, describe: 'rows to write (1e7 and 10_000_000 accepted)' })
      .option('keys', { type: 'string', default: '10000', describe: 'distinct customers' })
      .option('skew', { type: 'string', default: 'uniform', describe: 'customer distribution: uniform or zipf:S (e.g. zipf:1.1)' })
      .option('seed', { type: 'number', default: 42, describe: 'seed; the same seed writes the same bytes' })
      .option('out', { type: 'string', default: '-', describe: 'file to write (default: stdout)' }),
    async (argv) => {
      const rows = positiveInt('rows', argv.rows);
      const keys = positiveInt('keys', argv.keys);
      if (!Number.isSafeInteger(argv.seed)) throw new ConfigError('--seed', `expected an integer, got ${String(argv.seed)}`);
      const bar = progressBar(rows);
      const t0 = performance.now();
      const bytes = await writeTransactionsFile({ rows, keys, skew: argv.skew as string, seed: argv.seed as number, out: argv.out as string, progress: (n) => bar.update(n) });
      bar.done();
      const s = (performance.now() - t0) / 1000;
      process.stderr.write(`snapflow: wrote ${rows.toLocaleString('en-US')} rows (${(bytes / 1048576).toFixed(1)} MiB) to ${argv.out} in ${s.toFixed(1)} s (${Math.round(rows / s).toLocaleString('en-US')} rows/s)\n`);
    },
  );
}
