/** `snapflow bench cost`: the keyed job through snapflow beside a hand-written single thread over the same file. */
import type { Argv } from 'yargs';
import { benchCost, costTable } from '../../bench/cost/bench.js';
import { choiceList, intList, positiveInt } from '../args.js';
import { BACKEND_KINDS } from '../../base/kinds.js';

/** Registers the cost subcommand of bench. */
export function costCommand(b: Argv): Argv {
  return b.command(
    'cost',
    'A keyed job over a transaction file (running count and sum per customer, every update to the JSON-lines file sink) on both backends, at each parallelism, without and with checkpoints every second, beside the same computation written by hand as one plain thread',
    (c) => c
      .option('rows', { type: 'string', default: '3000000', describe: 'rows of the generated file (written once under the temporary folder and reused)' })
      .option('keys', { type: 'string', default: '100000', describe: 'distinct customers of the generated file' })
      .option('seed', { type: 'number', default: 42, describe: 'seed of the generated file' })
      .option('input', { type: 'string', describe: 'a transaction file (snapflow gen) to read instead of generating one' })
      .option('state-backend', { type: 'string', default: BACKEND_KINDS.join(','), describe: 'comma-separated backends to measure' })
      .option('parallelism', { type: 'string', default: '1,2', describe: 'comma-separated parallelisms to measure' })
      .option('state-cache-mb', { type: 'number', describe: 'lmdb: memory budget of each stateful subtask\'s cache of decoded values, in MiB (default 128; 0 turns it off)' })
      .option('runs', { type: 'string', default: '1', describe: 'runs of each configuration and of the baseline (figures are medians)' })
      .option('threads', { type: 'number', describe: 'worker threads (default: number of cores)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout (progress goes to stderr)' }),
    async (argv) => {
      const report = await benchCost({
        rows: positiveInt('rows', argv.rows), keys: positiveInt('keys', argv.keys), seed: argv.seed, input: argv.input,
        backends: [...new Set(choiceList('state-backend', argv['state-backend'], BACKEND_KINDS))],
        parallelism: intList('parallelism', argv.parallelism), runs: positiveInt('runs', argv.runs), stateCacheMb: argv['state-cache-mb'],
        threads: argv.threads === undefined ? undefined : positiveInt('threads', argv.threads),
        progress: (line) => process.stderr.write(line + '\n'),
      });
      if (argv.json) process.stdout.write(JSON.stringify(report) + '\n');
      else for (const line of costTable(report)) process.stdout.write(line + '\n');
    },
  );
}
