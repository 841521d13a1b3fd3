/** The restart strategy flags, in the manner of the checkpoint flags. */
import type { Argv } from 'yargs';
import { ConfigError } from '../base/errors.js';
import { parseDuration } from '../base/validate.js';
import { RESTART_DEFAULTS, RESTART_FLAGS, type RestartOptions, type RestartStrategyName } from '../runtime/recovery/restart.js';

const fixed = RESTART_DEFAULTS['fixed-delay'];
const expo = RESTART_DEFAULTS['exponential-delay'];
const rate = RESTART_DEFAULTS['failure-rate'];
const STRATEGIES = Object.keys(RESTART_FLAGS) as RestartStrategyName[];
const ALL_FLAGS = [...new Set(STRATEGIES.flatMap((s) => Object.values(RESTART_FLAGS[s])))];

/** Adds the restart strategy flags. */
export function withRestartFlags<T>(y: Argv<T>) {
  return y
    .option('restart-strategy', { type: 'string', choices: STRATEGIES, describe: 'what a failure leads to (default: exponential-delay with checkpointing, none without)' })
    .option('restart-attempts', { type: 'number', describe: `fixed-delay, exponential-delay: restarts allowed (default ${fixed.attempts} for fixed-delay, unlimited for exponential-delay)` })
    .option('restart-delay', { type: 'string', describe: `fixed-delay, failure-rate: wait before each restart, e.g. 3s (default ${fixed.delayMs} ms)` })
    .option('restart-initial-delay', { type: 'string', describe: `exponential-delay: wait before the first restart (default ${expo.initialDelayMs} ms)` })
    .option('restart-max-delay', { type: 'string', describe: `exponential-delay: longest delay, before jitter (default ${expo.maxDelayMs} ms)` })
    .option('restart-multiplier', { type: 'number', describe: `exponential-delay: growth of the delay after each restart, ≥ 1 (default ${expo.multiplier})` })
    .option('restart-jitter', { type: 'number', describe: `exponential-delay: random share, 0 to 1, added to or taken from each delay (default ${expo.jitter})` })
    .option('restart-reset-after', { type: 'string', describe: `exponential-delay: time without failure after which delay and attempts start over (default ${expo.resetAfterMs} ms)` })
    .option('restart-max-failures', { type: 'number', describe: `failure-rate: failures allowed within the interval before the job fails (default ${rate.maxFailures})` })
    .option('restart-failure-interval', { type: 'string', describe: `failure-rate: the window failures are counted in (default ${rate.intervalMs} ms)` });
}

/** Reads the flags back; undefined without --restart-strategy, which leaves the choice to the runtime's default. */
export function restartArgs(argv: Record<string, unknown>): RestartOptions | undefined {
  const strategy = argv['restart-strategy'] as RestartStrategyName | undefined;
  const given = ALL_FLAGS.filter((f) => argv[f] !== undefined);
  if (strategy === undefined) {
    if (given.length) throw new ConfigError(given[0], `--${given[0]} needs --restart-strategy, which chooses the strategy it belongs to`);
    return undefined;
  }
  if (!STRATEGIES.includes(strategy)) throw new ConfigError('restart-strategy', `must be one of ${STRATEGIES.join(', ')}, got ${String(strategy)}`);
  const own = Object.entries(RESTART_FLAGS[strategy]);
  const stray = given.find((f) => !own.some(([, flag]) => flag === f));
  if (stray) {
    const takes = own.length ? `it takes ${own.map(([, flag]) => `--${flag}`).join(', ')}` : 'it takes no options';
    throw new ConfigError(stray, `does not apply to --restart-strategy ${strategy} (${takes})`);
  }
  const opts: Record<string, unknown> = { strategy };
  // Options in milliseconds take durations (`3s`); the others are plain numbers.
  for (const [key, flag] of own) if (argv[flag] !== undefined) opts[key] = key.endsWith('Ms') ? parseDuration(flag, argv[flag]) : argv[flag];
  return opts as RestartOptions;
}
