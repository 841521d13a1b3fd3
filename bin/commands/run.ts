/** `snapflow run <job>`: runs a job on worker threads and reports its figures. */
import type { Argv } from 'yargs';
import { execute } from '../../runtime/execute.js';
import { formatCheckpointStats } from '../../runtime/checkpoint-stats.js';
import { parseParams, positiveInt, resolveJob } from '../args.js';
import { checkpointArgs, withCheckpointFlags } from '../checkpoint-args.js';

/** Registers the run command. */
export function runCommand(y: Argv): Argv {
  return y.command(
    'run <job>',
    'Run a job module (or a bundled job: transactions) to completion',
    (c) => withCheckpointFlags(c)
      .positional('job', { type: 'string', describe: 'path of a job module (.js) or the name of a bundled job', demandOption: true })
      .option('parallelism', { alias: 'p', type: 'number', describe: 'default parallelism of the job\'s operators' })
      .option('max-parallelism', { type: 'number', describe: 'number of key groups (default: derived from parallelism)' })
      .option('chaining', { type: 'boolean', default: true, describe: 'fuse forward-connected operators into one actor (--no-chaining to disable)' })
      .option('threads', { type: 'number', describe: 'worker threads; actors share them (default: number of cores)' })
      .option('local', { type: 'boolean', default: false, describe: 'run every actor on the main thread with in-memory channels' })
      .option('param', { type: 'string', array: true, describe: 'job parameter key=value (repeatable), e.g. --param input=data/big.csv' })
      .option('batch-size', { type: 'number', describe: 'records per channel batch (default 1024)' })
      .option('linger-ms', { type: 'number', describe: 'longest wait before a partly filled batch is sent (default 5)' })
      .option('credits', { type: 'number', describe: 'batches a receiver lets each sender have in flight (default 4)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the job statistics as JSON on stdout at the end' }),
    async (argv) => {
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.once('SIGINT', onSigint);
      // With every actor waiting and no timer or port left, Node would exit 0 in the middle of the job.
      const onStall = () => {
        process.stderr.write('snapflow: the job stalled: every actor is waiting and no message can arrive\n');
        process.exit(1);
      };
      process.once('beforeExit', onStall);
      try {
        const state = checkpointArgs(argv);
        const job = resolveJob(argv.job as string);
        process.stderr.write(`snapflow: running ${job}\n`);
        const result = await execute(job, {
          parallelism: argv.parallelism === undefined ? undefined : positiveInt('parallelism', argv.parallelism),
          maxParallelism: argv['max-parallelism'] === undefined ? undefined : positiveInt('max-parallelism', argv['max-parallelism']),
          chaining: argv.chaining,
          local: argv.local,
          threads: argv.threads === undefined ? undefined : positiveInt('threads', argv.threads),
          params: parseParams(argv.param),
          channels: {
            batchSize: argv['batch-size'] === undefined ? undefined : positiveInt('batch-size', argv['batch-size']),
            lingerMs: argv['linger-ms'],
            credits: argv.credits === undefined ? undefined : positiveInt('credits', argv.credits),
          },
          signal: abort.signal,
          ...state,
        });
        const s = result.stats;
        process.stderr.write(`snapflow: job finished: ${s.sourceRecords} source records in ${(s.durationMs / 1000).toFixed(2)} s (${s.recordsPerSec} records/s), ${s.actors.length} actors\n`);
        if (s.checkpoints) process.stderr.write(formatCheckpointStats(s.checkpoints));
        if (argv.json) process.stdout.write(JSON.stringify(s) + '\n');
      } finally {
        process.off('SIGINT', onSigint);
        process.off('beforeExit', onStall);
      }
    },
  );
}
