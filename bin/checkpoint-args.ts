/** The state and checkpoint flags shared by `snapflow run` and the benchmarks. */
import type { Argv } from 'yargs';
import type { CheckpointOptions } from '../runtime/checkpoint/config.js';
import { ConfigError } from '../base/errors.js';
import { parseDuration } from '../base/validate.js';
import { BACKEND_KINDS, CHECKPOINT_MODES, GUARANTEES, type BackendKind } from '../base/kinds.js';
import { DEFAULT_REBASE } from '../backends/factory.js';

/** The incremental re-base flags, shared by `snapflow run` and the benchmarks that take them. */
export const REBASE_FLAGS = {
  'max-deltas': { type: 'number', describe: `incremental: deltas on one base before a new base is written (default ${DEFAULT_REBASE.maxDeltas})` },
  'max-delta-ratio': { type: 'number', describe: `incremental: a new base once the entries the chain holds beyond the state (superseded values, deletions) would pass this share of the state's entries (default ${DEFAULT_REBASE.maxDeltaRatio})` },
} as const;

/** Adds the state backend and checkpoint flags. */
export function withCheckpointFlags<T>(y: Argv<T>) {
  return y
    .option('state-backend', { type: 'string', choices: BACKEND_KINDS, describe: 'where keyed state lives (default lmdb)' })
    .option('state-dir', { type: 'string', describe: 'parent folder of the working LMDB environments (default: system temp folder)' })
    .option('state-cache-mb', { type: 'number', describe: 'lmdb: memory budget of each stateful subtask\'s cache of decoded values, in MiB (default 128; 0 turns it off)' })
    .option('checkpoint-interval', { type: 'string', describe: 'take a checkpoint this often, e.g. 1s or 500ms (a bare number is ms); checkpointing is off without it' })
    .option('checkpoint-mode', { type: 'string', choices: CHECKPOINT_MODES, describe: 'full snapshots, or only what changed (lmdb only) (default full)' })
    .option('checkpoint-dir', { type: 'string', describe: 'checkpoint storage folder or file:// URI; each run gets a job folder inside (default: <tmp>/snapflow-checkpoints)' })
    .option('retained', { type: 'number', describe: 'completed checkpoints to keep (default 1)' })
    .option('checkpointing-mode', { type: 'string', choices: GUARANTEES, describe: 'align barriers (exactly-once, default) or not' })
    .option('checkpoint-timeout', { type: 'string', describe: 'abort a checkpoint not complete after this long (default 10min)' })
    .option('min-pause', { type: 'string', describe: 'least time between the end of a checkpoint and the next trigger (default 0)' })
    .option('max-concurrent-checkpoints', { type: 'number', describe: 'checkpoints in flight at once (default 1)' })
    .option('tolerable-failures', { type: 'number', describe: 'failed checkpoints in a row the job survives (default 0)' })
    .options(REBASE_FLAGS)
    .option('unaligned', { type: 'boolean', describe: 'unaligned checkpoints: barriers overtake in-flight data, which is kept as channel state' })
    .option('aligned-checkpoint-timeout', { type: 'string', describe: 'start checkpoints aligned and turn them unaligned where they still align this long after the trigger, e.g. 2s (implies --unaligned)' });
}

/** Reads the flags back; checkpointing stays off unless an interval is given. */
export function checkpointArgs(argv: Record<string, unknown>): { stateBackend?: BackendKind; stateDir?: string; stateCacheMb?: number; checkpointing?: CheckpointOptions } {
  const num = (k: string) => argv[k] as number | undefined;
  const stateBackend = argv['state-backend'] as BackendKind | undefined;
  const stateDir = argv['state-dir'] as string | undefined;
  const stateCacheMb = num('state-cache-mb');
  const duration = (k: string) => (argv[k] === undefined ? undefined : parseDuration(k, argv[k]));
  const interval = duration('checkpoint-interval');
  if (interval === undefined) {
    const stray = ['checkpoint-mode', 'checkpoint-dir', 'retained', 'checkpointing-mode', 'checkpoint-timeout', 'min-pause', 'max-concurrent-checkpoints', 'tolerable-failures', 'max-deltas', 'max-delta-ratio', 'aligned-checkpoint-timeout'].find((k) => argv[k] !== undefined) ?? (argv.unaligned === true ? 'unaligned' : undefined);
    if (stray) throw new ConfigError(stray, `--${stray} needs --checkpoint-interval, which turns checkpointing on`);
    return { stateBackend, stateDir, stateCacheMb };
  }
  return {
    stateBackend, stateDir, stateCacheMb,
    checkpointing: {
      intervalMs: interval, mode: argv['checkpoint-mode'] as CheckpointOptions['mode'], dir: argv['checkpoint-dir'] as string | undefined,
      retained: num('retained'), guarantee: argv['checkpointing-mode'] as CheckpointOptions['guarantee'], timeoutMs: duration('checkpoint-timeout'),
      minPauseMs: duration('min-pause'), maxConcurrent: num('max-concurrent-checkpoints'), tolerableFailures: num('tolerable-failures'),
      maxDeltas: num('max-deltas'), maxDeltaRatio: num('max-delta-ratio'),
      unaligned: argv.unaligned === true ? true : undefined, alignedTimeoutMs: duration('aligned-checkpoint-timeout'),
    },
  };
}
