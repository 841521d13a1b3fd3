/** `snapflow gen`: writes a large synthetic transaction file in the shape of data/data.csv. */
import type { Argv } from 'yargs';
import { writeTransactionsFile } from '../../operators/sources/transactions-file.js';
import { ConfigError } from '../../base/errors.js';
import { positiveInt } from '../args.js';
import { startProgress } from '../../bench/progress.js';

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
      .option('out', { type: 'string', default: '-', describe: 'file to write (default: stdout)' })
      .option('json', { type: 'boolean', default: false, describe: 'print what was written as one JSON object on stdout (needs --out FILE)' })
      .example('$0 gen --rows 3e6 --keys 100000 --out data/big.csv', 'three million rows over 100,000 customers')
      .example('$0 gen --rows 1e7 --skew zipf:1.1 --out data/skewed.csv && $0 run transactions --param input=data/skewed.csv', 'skewed customers, then the bundled job over them'),
    async (argv) => {
      const rows = positiveInt('rows', argv.rows);
      const keys = positiveInt('keys', argv.keys);
      if (!Number.isSafeInteger(argv.seed)) throw new ConfigError('--seed', `expected an integer, got ${String(argv.seed)}`);
      if (argv.json && argv.out === '-') throw new ConfigError('--json', 'the rows go to stdout; give --out FILE to have the JSON there instead');
      const bar = startProgress({ label: 'gen', total: rows, unit: 'rows' });
      const t0 = performance.now();
      const bytes = await writeTransactionsFile({ rows, keys, skew: argv.skew as string, seed: argv.seed as number, out: argv.out as string, progress: (n) => bar.update(n) });
      bar.stop();
      const s = (performance.now() - t0) / 1000;
      if (argv.json) {
        process.stdout.write(JSON.stringify({ out: argv.out, rows, keys, skew: argv.skew, seed: argv.seed, bytes, seconds: Math.round(s * 1000) / 1000, rowsPerSec: Math.round(rows / s) }) + '\n');
        return;
      }
      process.stderr.write(`snapflow: wrote ${rows.toLocaleString('en-US')} rows (${(bytes / 1048576).toFixed(1)} MiB) to ${argv.out} in ${s.toFixed(1)} s (${Math.round(rows / s).toLocaleString('en-US')} rows/s)\n`);
    },
  );
}
