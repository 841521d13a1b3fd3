/** `snapflow experiment`: the lab's full-versus-incremental comparison, faithfully or done properly. */
import type { Argv } from 'yargs';
import { CASES, runExperiment, type CaseKey, type ExperimentOptions } from '../../bench/experiment.js';
import { formatExperiment } from '../../bench/experiment-table.js';
import { ConfigError } from '../../base/errors.js';
import { parseDuration, parseNumber } from '../../base/validate.js';
import { BUNDLED_DATA } from '../jobs/transactions.js';
import { startProgress } from '../../bench/progress.js';

/** The default run: the lab's shape, short enough to finish in under a minute in all. */
export const QUICK = { recordDelayMs: 10, intervalMs: 100, runs: 3 } as const;
/** The lab's own settings (docs/experiment.md). */
export const FAITHFUL = { recordDelayMs: 500, intervalMs: 5000, runs: 1, parallelism: 1 } as const;

const num = parseNumber;

/** Registers the experiment command. */
export function experimentCommand(y: Argv): Argv {
  return y.command(
    'experiment',
    'Compare full and incremental checkpoints as the lab did (stateless job on data/data.csv), with real keyed state, and on a large synthetic state: medians, spread, bytes, durations, restore time',
    (c) => c
      .option('faithful', { type: 'boolean', default: false, describe: `the lab exactly: ${FAITHFUL.recordDelayMs} ms per record, checkpoint every ${FAITHFUL.intervalMs} ms, parallelism 1, ${FAITHFUL.runs} run, only the stateless case unless --cases is given` })
      .option('cases', { type: 'string', describe: `comma-separated: ${Object.keys(CASES).join(',')} (default all; stateless with --faithful)` })
      .option('runs', { type: 'string', describe: `runs per case and mode (default ${QUICK.runs}; ${FAITHFUL.runs} with --faithful)` })
      .option('parallelism', { alias: 'p', type: 'string', describe: 'parallelism of every operator (default 1, as the lab)' })
      .option('checkpoint-interval', { type: 'string', describe: `time between checkpoints (default ${QUICK.intervalMs} ms; ${FAITHFUL.intervalMs} ms with --faithful)` })
      .option('record-delay', { type: 'string', describe: `time the map holds each record (default ${QUICK.recordDelayMs} ms; ${FAITHFUL.recordDelayMs} ms with --faithful)` })
      .option('keys', { type: 'string', default: '200000', describe: 'synthetic case: keys loaded before the updates' })
      .option('update-ratio', { type: 'string', default: '0.02', describe: 'synthetic case: share of the keys updated between two checkpoints' })
      .option('rounds', { type: 'string', default: '8', describe: 'synthetic case: rounds of updates, each followed by a checkpoint' })
      .option('value-bytes', { type: 'string', default: '100', describe: 'synthetic case: padding stored in every value' })
      .option('restart-attempts', { type: 'string', default: '3', describe: 'fixed-delay restart strategy: attempts (the lab: 3)' })
      .option('restart-delay', { type: 'string', default: '3s', describe: 'fixed-delay restart strategy: time between attempts (the lab: 3s)' })
      .option('input', { type: 'string', describe: 'transaction file of the lab cases (default: the bundled data/data.csv)' })
      .option('print', { type: 'boolean', default: false, describe: 'print every record as the lab did (default: dropped, so the table stays readable)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout (progress goes to stderr)' })
      .example('$0 experiment', 'what npm start runs: the three cases, three runs each (docs/experiment.md)')
      .example('$0 experiment --faithful', 'the lab exactly as it was set up'),
    async (argv) => {
      if (argv.print && argv.json) throw new ConfigError('print', 'records would mix with the JSON on stdout; drop --print or --json');
      const faithful = argv.faithful;
      const given = (flag: string, quick: number, lab: number) => (argv[flag] === undefined ? (faithful ? lab : quick) : num(flag, argv[flag]));
      const givenDuration = (flag: string, quick: number, lab: number) => (argv[flag] === undefined ? (faithful ? lab : quick) : parseDuration(flag, argv[flag]));
      const cases = (argv.cases === undefined ? (faithful ? 'stateless' : Object.keys(CASES).join(',')) : argv.cases)
        .split(',').map((s) => s.trim()).filter(Boolean) as CaseKey[];
      const runsPerMode = given('runs', QUICK.runs, FAITHFUL.runs);
      const bar = startProgress({ label: 'experiment', total: cases.length * 2 * runsPerMode, unit: 'runs' });
      let runsDone = 0;
      const opts: ExperimentOptions = {
        cases,
        runs: runsPerMode,
        parallelism: given('parallelism', 1, FAITHFUL.parallelism),
        intervalMs: givenDuration('checkpoint-interval', QUICK.intervalMs, FAITHFUL.intervalMs),
        recordDelayMs: givenDuration('record-delay', QUICK.recordDelayMs, FAITHFUL.recordDelayMs),
        keys: num('keys', argv.keys), updateRatio: num('update-ratio', argv['update-ratio']), rounds: num('rounds', argv.rounds),
        valueBytes: num('value-bytes', argv['value-bytes']),
        restartAttempts: num('restart-attempts', argv['restart-attempts']), restartDelayMs: parseDuration('restart-delay', argv['restart-delay']),
        print: argv.print, input: argv.input ?? BUNDLED_DATA,
        progress: (line) => bar.log(line),
        onRun: () => bar.update(++runsDone),
      };
      const report = await runExperiment(opts).finally(() => bar.stop());
      process.stdout.write(argv.json ? JSON.stringify(report) + '\n' : formatExperiment(report));
    },
  );
}
