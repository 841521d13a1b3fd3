/** `snapflow bench nexmark`: the Nexmark queries, their figures beside Flink's, and optionally their check against the reference. */
import type { Argv } from 'yargs';
import { benchNexmark } from '../../bench/nexmark/bench.js';
import { nexmarkTable } from '../../bench/nexmark/table.js';
import { QUERY_NAMES } from '../../bench/nexmark/queries/index.js';
import { choiceList, positiveDuration, positiveInt } from '../args.js';
import { BACKEND_KINDS, CHECKPOINT_MODES, type BackendKind, type CheckpointMode } from '../../base/kinds.js';
import { ConfigError } from '../../base/errors.js';
import { REBASE_FLAGS } from '../checkpoint-args.js';

/** Registers the nexmark subcommand of bench. */
export function nexmarkCommand(b: Argv): Argv {
  return b.command(
    'nexmark',
    'The Nexmark queries over generated auction events: events/s per core beside Flink\'s published figures, checkpoints, memory, and a check against a plain reference',
    (c) => c
      .option('queries', { type: 'string', default: QUERY_NAMES.join(','), describe: `comma-separated queries: ${QUERY_NAMES.join(', ')}` })
      .option('events', { type: 'string', default: '1000000', describe: 'events generated (persons : auctions : bids = 1 : 3 : 46)' })
      .option('parallelism', { type: 'string', default: '1', describe: 'parallelism of every operator' })
      .option('rate', { type: 'string', describe: 'events per second of event time (default 10000000, as in Flink\'s runs)' })
      .option('throttle', { type: 'string', describe: 'at most this many events per second of wall-clock time (default: as fast as the job goes)' })
      .option('seed', { type: 'number', describe: 'seed of the generator (default 42)' })
      .option('checkpoint-interval', { type: 'string', describe: 'checkpoint this often, e.g. 1s (a bare number is ms; default: no checkpoints)' })
      .option('checkpoint-mode', { type: 'string', default: 'incremental', choices: [...CHECKPOINT_MODES], describe: 'full or incremental (incremental needs lmdb)' })
      .options(REBASE_FLAGS)
      .option('state-backend', { type: 'string', default: 'lmdb', choices: [...BACKEND_KINDS], describe: 'where keyed state lives' })
      .option('state-cache-mb', { type: 'number', describe: 'lmdb: memory budget of each stateful subtask\'s cache of decoded values, in MiB (default 128; 0 turns it off)' })
      .option('verify', { type: 'boolean', default: false, describe: 'compare every result with a plain single-threaded reference over the same events' })
      .option('failures', { type: 'string', describe: 'inject this many failures into each run at the source (throws and thread exits in turn); needs --checkpoint-interval' })
      .option('runs', { type: 'string', default: '1', describe: 'runs per query (figures are medians)' })
      .option('compare-without', { type: 'boolean', default: false, describe: 'pair each run with one without checkpoints, in turn, and report each pair\'s ratio (what checkpoints cost); needs --checkpoint-interval' })
      .option('threads', { type: 'number', describe: 'worker threads (default: number of cores)' })
      .option('warm-workers', { type: 'boolean', default: false, describe: 'run everything on the same worker threads, each query after one uncounted run with checkpoints and one without: figures of compiled code, as on a standing cluster' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout (progress goes to stderr)' }),
    async (argv) => {
      const interval = argv['checkpoint-interval'] === undefined ? undefined : positiveDuration('checkpoint-interval', argv['checkpoint-interval']);
      const failures = argv.failures === undefined ? undefined : positiveInt('failures', argv.failures);
      if (failures !== undefined && interval === undefined) throw new ConfigError('failures', 'needs --checkpoint-interval: a job without checkpoints does not restart');
      const mode = argv['checkpoint-mode'] as CheckpointMode;
      const backend = argv['state-backend'] as BackendKind;
      if (interval !== undefined && mode === 'incremental' && backend !== 'lmdb') throw new ConfigError('checkpoint-mode', 'incremental checkpoints need --state-backend lmdb');
      const report = await benchNexmark({
        queries: [...new Set(choiceList('queries', argv.queries, QUERY_NAMES))], events: positiveInt('events', argv.events), parallelism: positiveInt('parallelism', argv.parallelism),
        rate: argv.rate === undefined ? undefined : positiveInt('rate', argv.rate), seed: argv.seed,
        throttle: argv.throttle === undefined ? undefined : positiveInt('throttle', argv.throttle), checkpointIntervalMs: interval, checkpointMode: mode, maxDeltas: argv['max-deltas'], maxDeltaRatio: argv['max-delta-ratio'],
        stateBackend: backend, stateCacheMb: argv['state-cache-mb'], verify: argv.verify, runs: positiveInt('runs', argv.runs), compareWithout: argv['compare-without'], failures,
        threads: argv.threads === undefined ? undefined : positiveInt('threads', argv.threads), warmWorkers: argv['warm-workers'],
        progress: (line) => process.stderr.write(line + '\n'),
      });
      if (argv.json) process.stdout.write(JSON.stringify(report) + '\n');
      else for (const line of nexmarkTable(report)) process.stdout.write(line + '\n');
      if (report.results.some((r) => r.verified === false)) process.exitCode = 1;
    },
  );
}
