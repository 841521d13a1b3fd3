/** `snapflow bench backpressure`: checkpoints of a job whose sink takes a tenth of what its sources offer. */
import type { Argv } from 'yargs';
import { BACKPRESSURE_MODES, BACKPRESSURE_VARIANTS, benchBackpressure, type BackpressureReport } from '../../bench/backpressure.js';
import { choiceList, positiveDuration, positiveInt } from '../args.js';
import { BACKEND_KINDS, type BackendKind } from '../../base/kinds.js';
import { textTable } from '../../base/text-table.js';

function table(report: BackpressureReport): string[] {
  const rows = report.results.map((r) => [
    r.variant, r.mode, String(r.parallelism), String(r.checkpoints), String(r.e2eMsMedian), String(r.e2eMsP99), String(r.alignmentMsMedian),
    String(r.startDelayMsMedian), String(r.persistedBytesMedian), String(r.recordsPerSec),
  ]);
  return textTable(['slow sinks', 'mode', 'p', 'ckpts', 'e2e ms p50', 'e2e ms p99', 'align ms p50', 'delay ms p50', 'persisted B', 'records/s'], rows, { align: ['left', 'left'] });
}

/** Registers the backpressure subcommand of bench. */
export function backpressureCommand(b: Argv): Argv {
  return b.command(
    'backpressure',
    'Checkpoints under backpressure: a keyed job whose sink takes a tenth of what its sources offer (every sink subtask, or one), checkpointed every interval',
    (c) => c
      .option('modes', { type: 'string', default: BACKPRESSURE_MODES.join(','), describe: `comma-separated: ${BACKPRESSURE_MODES.join(', ')}` })
      .option('variants', { type: 'string', default: BACKPRESSURE_VARIANTS.join(','), describe: 'all: every sink subtask is slow; one-slow: only the first' })
      .option('sink-rate', { type: 'string', default: '2000', describe: 'records per second a slow sink subtask takes (the sources offer ten times what the sinks take)' })
      .option('seconds', { type: 'string', default: '20', describe: 'seconds each run lasts at the sinks\' rate' })
      .option('parallelism', { alias: 'p', type: 'string', default: '2', describe: 'parallelism of every operator' })
      .option('checkpoint-interval', { type: 'string', default: '1s', describe: 'time between checkpoints (a bare number is ms)' })
      .option('buffer-debloat-target', { type: 'string', default: '1s', describe: 'aligned-debloat: in-flight data per channel, as time of its receiver\'s processing' })
      .option('aligned-checkpoint-timeout', { type: 'string', default: '200ms', describe: 'aligned-timeout: how long after its trigger a checkpoint still aligning turns unaligned' })
      .option('keys', { type: 'string', default: '10000', describe: 'distinct keys' })
      .option('state-backend', { type: 'string', default: 'lmdb', choices: BACKEND_KINDS, describe: 'where keyed state lives' })
      .option('threads', { type: 'number', describe: 'worker threads (default: number of cores)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout (progress goes to stderr)' })
      .example('$0 bench backpressure --json', 'every variant and mode at parallelism 2, a checkpoint every second'),
    async (argv) => {
      const report = await benchBackpressure({
        modes: choiceList('modes', argv.modes, BACKPRESSURE_MODES), variants: choiceList('variants', argv.variants, BACKPRESSURE_VARIANTS),
        sinkRate: positiveInt('sink-rate', argv['sink-rate']), seconds: positiveInt('seconds', argv.seconds), parallelism: positiveInt('parallelism', argv.parallelism),
        intervalMs: positiveDuration('checkpoint-interval', argv['checkpoint-interval']), keys: positiveInt('keys', argv.keys),
        debloatTargetMs: positiveDuration('buffer-debloat-target', argv['buffer-debloat-target']),
        alignedTimeoutMs: positiveDuration('aligned-checkpoint-timeout', argv['aligned-checkpoint-timeout']),
        stateBackend: argv['state-backend'] as BackendKind, threads: argv.threads === undefined ? undefined : positiveInt('threads', argv.threads),
        progress: (line) => process.stderr.write(line + '\n'),
      });
      if (argv.json) process.stdout.write(JSON.stringify(report) + '\n');
      else process.stdout.write(table(report).join('\n') + '\n');
    },
  );
}
