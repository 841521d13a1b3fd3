/** `snapflow chaos`: a stress test of checkpoints and recovery with randomly injected failures. */
import type { Argv } from 'yargs';
import { CHAOS_JOBS, ChaosStalledError, chaosPassed, runChaos, type ChaosOptions, type ChaosReport } from '../../bench/chaos.js';
import { BACKEND_KINDS, CHECKPOINT_MODES } from '../../base/kinds.js';
import { parseDuration, parseNumber } from '../../base/validate.js';
import { startProgress } from '../../bench/progress.js';
import { runSoak } from '../../bench/chaos-soak.js';

/** A number as typed: 10000000, 1e7 and 10_000_000 alike; the flag is named if it is none. */
const count = (flag: string, value: unknown) => parseNumber(`--${flag}`, value);

function summary(r: ChaosReport): string {
  const verdict = chaosPassed(r) ? 'PASS: exactly once' : 'FAIL';
  const windowed = r.job === 'windowed';
  const lines = [
    `${verdict} — ${r.job} job, ${r.records} records, ${r.keys} keys, p=${r.parallelism}, ${r.backend} ${r.mode}, ${r.barriers} barriers`,
    `failures injected ${r.failuresInjected} of ${r.failures}, restarts ${r.restarts}, checkpoints completed ${r.checkpointsCompleted}` +
      (r.barriers === 'aligned' ? '' : ` (${r.unalignedCheckpoints} unaligned, ${r.persistedBytes} in-flight bytes kept)`),
    `${windowed ? 'windows ' : ''}lost ${r.lost}, duplicated ${r.duplicated}, ${windowed ? 'wrong' : 'violations'} ${r.violations}, bad lines ${r.badLines}${windowed ? `, late records dropped ${r.lateRecordsDropped}` : ''}`,
    windowed
      ? `final state ${r.stateMatches ? 'empty, every window purged' : `HOLDS ${r.mismatchedKeys} live entries`} (checkpoint ${r.finalCheckpointId || 'none final'})`
      : `final state ${r.stateMatches ? 'matches' : 'DIFFERS'} (${r.mismatchedKeys} keys differ, checkpoint ${r.finalCheckpointId || 'none final'})`,
    `restores ${r.restoreMs.count}: median ${r.restoreMs.median} ms, max ${r.restoreMs.max} ms, total ${r.restoreMs.total} ms`,
    `job ${(r.durationMs / 1000).toFixed(1)} s (${r.recordsPerSec} records/s), checks ${(r.checkMs / 1000).toFixed(1)} s`,
    ...r.samples.map((s) => `  e.g. ${s}`),
    ...(r.out ? [`kept in ${r.out}`] : []),
  ];
  return lines.join('\n') + '\n';
}

/** The stall timeout in seconds: a duration with a unit, or a bare number of seconds as scripts have given it since the flag exists. */
function stallSeconds(value: unknown): number {
  const bare = /^\s*[0-9][0-9_]*(\.[0-9]+)?\s*$/.test(String(value));
  return bare ? count('stall-timeout', value) : Math.round(parseDuration('stall-timeout', value) / 1000);
}

/** The options the flags give, before progress reporting is attached. */
function chaosOptions(argv: Record<string, unknown>): ChaosOptions {
  return {
    job: argv.job as ChaosOptions['job'], records: count('records', argv.records), keys: count('keys', argv.keys), failures: count('failures', argv.failures), seed: count('seed', argv.seed),
    mode: argv['checkpoint-mode'] as ChaosOptions['mode'], backend: argv['state-backend'] as ChaosOptions['backend'], parallelism: count('parallelism', argv.parallelism),
    checkpointIntervalMs: parseDuration('checkpoint-interval', argv['checkpoint-interval']), kind: argv.kind as ChaosOptions['kind'], format: argv.format as ChaosOptions['format'],
    rate: argv.rate === undefined ? undefined : count('rate', argv.rate), out: argv.out as string | undefined, keep: argv.keep as boolean, local: argv.local as boolean, stallTimeoutSec: stallSeconds(argv['stall-timeout']),
    unaligned: argv.unaligned as boolean, alignedTimeoutMs: argv['aligned-checkpoint-timeout'] === undefined ? undefined : parseDuration('aligned-checkpoint-timeout', argv['aligned-checkpoint-timeout']),
  };
}

/** Runs the soak and prints its verdict; a failing run ends the process with status 1. */
async function soak(argv: Record<string, unknown>, target: number): Promise<void> {
  const say = (line: string) => process.stderr.write(line + '\n');
  const report = await runSoak(chaosOptions(argv), target, say);
  if (argv.json) process.stdout.write(JSON.stringify(report) + '\n');
  else {
    process.stdout.write(`${report.passed ? 'PASS: exactly once' : 'FAIL'} — ${report.runs.length} runs, ${report.failuresInjected} failures injected, ` +
      `${report.lost} lost, ${report.duplicated} duplicated, ${report.runs.reduce((n, r) => n + r.unalignedCheckpoints, 0)} unaligned checkpoints\n`);
    if (report.failedCommand) process.stdout.write(`repeat the failed run: ${report.failedCommand}\n`);
  }
  if (!report.passed) process.exitCode = 1;
}

/** Registers the chaos command. */
export function chaosCommand(y: Argv): Argv {
  return y.command(
    'chaos',
    'Run a keyed or windowed job with checkpoints and random injected failures, then check that its file output and final state are exactly once',
    (c) => c
      .option('job', { type: 'string', default: 'keyed', choices: CHAOS_JOBS, describe: 'keyed: a running count per key; windowed: tumbling event-time windows per key' })
      .option('records', { type: 'string', default: '1000000', describe: 'records generated (1e7 and 10_000_000 work too)' })
      .option('keys', { type: 'string', default: '10000', describe: 'distinct keys; a multiple of --parallelism' })
      .option('failures', { type: 'string', default: '5', describe: 'failures injected at random subtasks and record counts (0 for none)' })
      .option('seed', { type: 'string', default: '1', describe: 'seed of the data and of the failure points' })
      .option('checkpoint-mode', { alias: 'mode', type: 'string', default: 'full', choices: CHECKPOINT_MODES, describe: 'checkpoint mode' })
      .option('state-backend', { alias: 'backend', type: 'string', default: 'lmdb', choices: BACKEND_KINDS, describe: 'keyed state backend' })
      .option('parallelism', { alias: 'p', type: 'string', default: '2', describe: 'parallelism of every operator' })
      .option('checkpoint-interval', { type: 'string', default: '500ms', describe: 'time between checkpoints (a bare number is ms)' })
      .option('kind', { type: 'string', default: 'any', choices: ['throw', 'exit', 'any'], describe: 'how injected failures end a subtask: a thrown error, a hard exit of its worker thread, or either at random' })
      .option('format', { type: 'string', default: 'jsonl', choices: ['jsonl', 'csv'], describe: 'format of the file sink' })
      .option('rate', { type: 'string', describe: 'records per second over all sources (default unlimited)' })
      .option('local', { type: 'boolean', default: false, describe: 'run every subtask on the calling thread (needs --kind throw)' })
      .option('stall-timeout', { type: 'string', default: '120s', describe: 'time without committed output or a restart after which the run fails as stuck, e.g. 2min (a bare number is seconds, as it always was here)' })
      .option('out', { type: 'string', describe: 'folder for checkpoints, state and output, kept at the end (default: a temporary folder, removed)' })
      .option('keep', { type: 'boolean', default: false, describe: 'keep the temporary folder' })
      .option('unaligned', { type: 'boolean', default: false, describe: 'unaligned checkpoints: barriers overtake in-flight data, kept as channel state' })
      .option('aligned-checkpoint-timeout', { type: 'string', describe: 'start checkpoints aligned, turn them unaligned where they still align this long after the trigger (implies --unaligned)' })
      .option('soak', { type: 'string', describe: 'run the chaos check over its matrix (full/incremental × lmdb/heap × aligned/unaligned × p 1–4), a new seed each run, until this many failures fired' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout (progress goes to stderr)' })
      .example('$0 chaos --records 1e6 --keys 10000 --failures 10 --checkpoint-mode incremental -p 2', 'ten random failures; the output and the final state must be exactly once')
      .example('$0 chaos --job windowed --kind exit --state-backend heap', 'windowed job, hard exits of worker threads, state on the heap')
      .example('$0 chaos --unaligned --rate 200000 -p 4', 'unaligned checkpoints: in-flight data kept and replayed across failures')
      .example('$0 chaos --soak 1000 --records 2e5 --keys 12000 --failures 10', 'a soak: the whole matrix, round after round, until 1,000 failures fired'),
    async (argv) => {
      if (argv.soak !== undefined) return soak(argv, count('soak', argv.soak));
      const bar = startProgress({ label: 'chaos', total: count('records', argv.records), unit: 'records' });
      const opts: ChaosOptions = {
        ...chaosOptions(argv),
        progress: (line) => bar.log(line),
        onRecords: (emitted) => bar.update(emitted),
      };
      const report = await runChaos(opts).finally(() => bar.stop()).catch((err: unknown) => {
        if (!(err instanceof ChaosStalledError)) throw err;
        // A worker thread stuck in its termination blocks process.exit() too; only a signal ends the process.
        process.stderr.write(`snapflow: ${err.name}: ${err.message}\n`, () => process.kill(process.pid, 'SIGKILL'));
        return new Promise<never>(() => {});
      });
      process.stdout.write(argv.json ? JSON.stringify(report) + '\n' : summary(report));
      if (report.failuresInjected < report.failures) {
        process.stderr.write(`chaos: warning: only ${report.failuresInjected} of ${report.failures} failures fired before the job ended\n`);
      }
      if (!chaosPassed(report)) process.exitCode = 1;
    },
  );
}
