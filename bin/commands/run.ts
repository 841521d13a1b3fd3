/** `snapflow run <job>`: runs a job on worker threads and reports its figures. */
import { jobEventSink } from '../job-events.js';
import type { Argv } from 'yargs';
import { execute } from '../../runtime/execute.js';
import { parseParams, positiveInt, resolveJob } from '../args.js';
import { checkpointArgs, withCheckpointFlags } from '../checkpoint-args.js';
import { restartArgs, withRestartFlags } from '../restart-args.js';
import { formatActors, formatLatency, formatRecovery } from '../../runtime/job/report.js';
import { JobControl } from '../../runtime/job/job-control.js';
import { JobMonitor } from '../../runtime/job/monitor.js';
import { startRestServer, type RestServer } from '../../web/server.js';
import { ConfigError } from '../../base/errors.js';
import { parseDuration } from '../../base/validate.js';
import { formatCheckpointStats } from '../../runtime/checkpoint/table.js';

/** Registers the run command. */
export function runCommand(y: Argv): Argv {
  return y.command(
    'run <job>',
    'Run a job module (or a bundled job: transactions) to completion',
    (c) => withRestartFlags(withCheckpointFlags(c))
      .positional('job', { type: 'string', describe: 'path of a job module (.js) or the name of a bundled job', demandOption: true })
      .option('parallelism', { alias: 'p', type: 'number', describe: 'default parallelism of the job\'s operators' })
      .option('max-parallelism', { type: 'number', describe: 'number of key groups (default: derived from parallelism)' })
      .option('chaining', { type: 'boolean', default: true, describe: 'fuse forward-connected operators into one actor (--no-chaining to disable)' })
      .option('threads', { type: 'number', describe: 'worker threads; actors share them (default: number of cores)' })
      .option('local', { type: 'boolean', default: false, describe: 'run every actor on the main thread with in-memory channels' })
      .option('worker-memory-mb', { type: 'number', describe: 'heap limit per worker thread in MiB; a worker over it fails the job (and is restarted like any failure)' })
      .option('param', { type: 'string', array: true, describe: 'job parameter key=value (repeatable), e.g. --param input=data/big.csv' })
      .option('batch-size', { type: 'number', describe: 'records per channel batch (default 1024)' })
      .option('linger-ms', { type: 'number', describe: 'longest wait before a partly filled batch is sent (default 5)' })
      .option('credits', { type: 'number', describe: 'batches a receiver lets each sender have in flight (default 4)' })
      .option('buffer-debloat', { type: 'boolean', default: false, describe: 'shrink batches so that what is in flight towards an actor is about --buffer-debloat-target of its processing' })
      .option('buffer-debloat-target', { type: 'string', default: '1s', describe: 'buffer debloating: time\'s worth of processing in flight towards an actor' })
      .option('metrics-interval', { type: 'string', describe: 'time between two reports of each actor\'s figures and latency (default 1s; 0: only at the end)' })
      .option('latency-interval', { type: 'string', describe: 'time between two latency markers of a source subtask (default 200ms; 0: none)' })
      .option('rest-port', { type: 'number', describe: 'serve the job\'s REST API (Flink\'s routes), /metrics for Prometheus and a dashboard on this port (0: any free one)' })
      .option('rest-address', { type: 'string', default: '127.0.0.1', describe: 'address the REST server listens on' })
      .option('profile', { type: 'string', describe: 'write a CPU profile of the main thread and of each worker thread into this folder (docs/watching.md says how to open them)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the job statistics as JSON on stdout at the end' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no line on stderr per checkpoint, savepoint, restart or restore while the job runs' })
      .option('json-events', { type: 'boolean', default: false, describe: 'each checkpoint, savepoint, restart and restore as one JSON object per line on stderr, instead of a line of text' })
      .option('from-savepoint', { type: 'string', describe: 'resume from a savepoint folder (any parallelism, either state backend)' })
      .option('from-checkpoint', { type: 'string', describe: 'resume from a retained checkpoint: a chk-<n> folder, or a job folder (its newest checkpoint)' })
      .option('savepoint-dir', { type: 'string', describe: 'where savepoints go: SIGUSR2 takes one, SIGTERM stops the job with one (needs --checkpoint-interval)' })
      .option('inject-failure', { type: 'string', array: true, describe: 'inject failures (repeatable): records=N@OPERATOR[#SUBTASK], checkpoint=N, restore[=K], random=K; suffix !throw (default) or !exit' })
      .option('inject-seed', { type: 'number', describe: 'seed of random=K injections (default 1)' })
      .option('inject-horizon', { type: 'number', describe: 'random=K injections fire within this many records of a subtask (default 100000)' })
      .group(['parallelism', 'max-parallelism', 'chaining', 'threads', 'local', 'worker-memory-mb', 'param'], 'Job:')
      .group(['checkpoint-interval', 'checkpoint-mode', 'checkpoint-dir', 'retained', 'checkpointing-mode', 'checkpoint-timeout', 'min-pause', 'max-concurrent-checkpoints', 'tolerable-failures', 'max-deltas', 'max-delta-ratio', 'unaligned', 'aligned-checkpoint-timeout'], 'Checkpoints (docs/checkpointing.md):')
      .group(['state-backend', 'state-dir', 'state-cache-mb'], 'State:')
      .group(['restart-strategy', 'restart-attempts', 'restart-delay', 'restart-initial-delay', 'restart-max-delay', 'restart-multiplier', 'restart-jitter', 'restart-reset-after', 'restart-max-failures', 'restart-failure-interval', 'savepoint-dir', 'from-savepoint', 'from-checkpoint', 'inject-failure', 'inject-seed', 'inject-horizon'], 'Recovery (docs/recovery.md):')
      .group(['quiet', 'json', 'json-events', 'rest-port', 'rest-address', 'metrics-interval', 'latency-interval', 'profile'], 'Watching (docs/watching.md):')
      .group(['batch-size', 'linger-ms', 'credits', 'buffer-debloat', 'buffer-debloat-target'], 'Channels:')
      .example('$0 run transactions', 'the bundled job over data/data.csv')
      .example('$0 run job.js -p 2 --checkpoint-interval 1s --checkpoint-mode incremental --rest-port 8081', 'checkpoints every second, with the REST API and dashboard on port 8081')
      .example('$0 run job.js --config flink.yaml -D execution.checkpointing.interval=500ms', 'settings from a file of Flink keys, one overridden (docs/configuration.md)'),
    async (argv) => {
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.once('SIGINT', onSigint);
      const control = new JobControl();
      const savepointDir = argv['savepoint-dir'] as string | undefined;
      const saved = (what: string) => (dir: string) => process.stderr.write(`snapflow: ${what} ${dir}\n`);
      const failed = (err: Error) => process.stderr.write(`snapflow: savepoint failed: ${err.message}\n`);
      const onUsr2 = () => void control.savepoint(savepointDir!).then(saved('savepoint written to'), failed);
      const onTerm = () => void control.stopWithSavepoint(savepointDir!).then(saved('stopping with savepoint'), (err: Error) => (failed(err), abort.abort()));
      if (savepointDir !== undefined) {
        process.on('SIGUSR2', onUsr2);
        process.on('SIGTERM', onTerm);
      }
      // With every actor waiting and no timer or port left, Node would exit 0 in the middle of the job.
      const onStall = () => {
        process.stderr.write('snapflow: the job stalled: every actor is waiting and no message can arrive\n');
        process.exit(1);
      };
      process.once('beforeExit', onStall);
      let server: RestServer | null = null;
      try {
        const state = checkpointArgs(argv);
        const from = [argv['from-savepoint'], argv['from-checkpoint']].filter((v) => v !== undefined) as string[];
        if (from.length > 1) throw new ConfigError('from-savepoint', 'give --from-savepoint or --from-checkpoint, not both');
        if (savepointDir !== undefined && !state.checkpointing) throw new ConfigError('savepoint-dir', 'savepoints need checkpointing on; add --checkpoint-interval');
        const job = resolveJob(argv.job as string);
        const durationOf = (k: string) => (argv[k] === undefined ? undefined : parseDuration(k, argv[k]));
        const monitor = new JobMonitor();
        if (argv['rest-port'] !== undefined) {
          const port = argv['rest-port'] as number;
          if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('rest-port', `expected a port number from 0 to 65535, got ${port}`);
          server = await startRestServer({ monitor, control, cancel: () => abort.abort(), savepointDir, port, address: argv['rest-address'] as string });
          process.stderr.write(`snapflow: REST API, /metrics and the dashboard at ${server.url}\n`);
        }
        process.stderr.write(`snapflow: running ${job}\n`);
        const result = await execute(job, {
          parallelism: argv.parallelism === undefined ? undefined : positiveInt('parallelism', argv.parallelism),
          maxParallelism: argv['max-parallelism'] === undefined ? undefined : positiveInt('max-parallelism', argv['max-parallelism']),
          chaining: argv.chaining,
          local: argv.local,
          threads: argv.threads === undefined ? undefined : positiveInt('threads', argv.threads),
          workerMemoryMb: argv['worker-memory-mb'] === undefined ? undefined : positiveInt('worker-memory-mb', argv['worker-memory-mb']),
          params: parseParams(argv.param),
          channels: {
            batchSize: argv['batch-size'] === undefined ? undefined : positiveInt('batch-size', argv['batch-size']),
            lingerMs: argv['linger-ms'],
            credits: argv.credits === undefined ? undefined : positiveInt('credits', argv.credits),
            debloatTargetMs: argv['buffer-debloat'] ? parseDuration('buffer-debloat-target', argv['buffer-debloat-target']) : undefined,
          },
          signal: abort.signal,
          ...state,
          restart: restartArgs(argv),
          fromCheckpoint: from[0],
          injectFailures: argv['inject-failure'] as string[] | undefined,
          injectSeed: argv['inject-seed'] as number | undefined,
          injectHorizon: argv['inject-horizon'] as number | undefined,
          control,
          monitor,
          profileDir: argv.profile as string | undefined,
          metrics: { intervalMs: durationOf('metrics-interval'), latencyIntervalMs: durationOf('latency-interval') },
          onEvent: jobEventSink({ quiet: argv.quiet as boolean, json: argv['json-events'] as boolean }),
        });
        const s = result.stats;
        process.stderr.write(`snapflow: job finished: ${s.sourceRecords} source records in ${(s.durationMs / 1000).toFixed(2)} s (${s.recordsPerSec} records/s), ${s.actors.length} actors\n`);
        if (!argv.quiet) process.stderr.write(formatActors(s));
        process.stderr.write(formatLatency(s));
        if (argv.profile !== undefined) process.stderr.write(`snapflow: CPU profiles in ${argv.profile as string}\n`);
        if (s.checkpoints) process.stderr.write(formatCheckpointStats(s.checkpoints));
        process.stderr.write(formatRecovery(s));
        if (argv.json) process.stdout.write(JSON.stringify(s) + '\n');
      } finally {
        await server?.close();
        process.off('SIGINT', onSigint);
        process.off('SIGUSR2', onUsr2);
        process.off('SIGTERM', onTerm);
        process.off('beforeExit', onStall);
      }
    },
  );
}
