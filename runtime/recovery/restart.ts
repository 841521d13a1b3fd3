/**
 * Restart strategies as Flink has them: after a failure, whether the job is restarted and
 * after how long. Pure: no timers, no I/O; the caller passes the time of each failure.
 */
import { ConfigError } from '../../base/errors.js';
import { checkNumber, oneOf, type NumberRule } from '../../base/validate.js';

/** Restart options as users give them (execute() options, CLI flags). */
export type RestartOptions =
  | { strategy: 'none' }
  | { strategy: 'fixed-delay'; attempts?: number; delayMs?: number }
  | { strategy: 'exponential-delay'; initialDelayMs?: number; maxDelayMs?: number; multiplier?: number; jitter?: number; resetAfterMs?: number; attempts?: number }
  | { strategy: 'failure-rate'; maxFailures?: number; intervalMs?: number; delayMs?: number };

/** The name of a restart strategy. */
export type RestartStrategyName = RestartOptions['strategy'];

type Complete<O> = O extends unknown ? Required<O> : never;

/** Options with every default filled in; an unlimited `attempts` is Infinity. */
export type ResolvedRestartOptions = Complete<RestartOptions>;

/** What to do after a failure. */
export interface RestartDecision {
  restart: boolean;
  delayMs: number;
  /** e.g. "restart 2 of 3 after 3000 ms" or why not: "3 restarts allowed, all used" */
  reason: string;
}

/** Decides, failure by failure, whether and when the job restarts. */
export interface RestartStrategy {
  /** Which strategy this is. */
  readonly name: RestartStrategyName;
  /** One-line summary, e.g. "fixed-delay: 3 attempts, 1000 ms apart". */
  readonly description: string;
  /** A failure happened at `now` (ms, any monotonic clock). */
  onFailure(now: number): RestartDecision;
}

/** The defaults of every strategy, shared with the CLI help texts. */
export const RESTART_DEFAULTS = {
  'fixed-delay': { attempts: 3, delayMs: 1000 },
  'exponential-delay': { initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 1.5, jitter: 0.1, resetAfterMs: 3_600_000, attempts: Infinity },
  'failure-rate': { maxFailures: 1, intervalMs: 60_000, delayMs: 1000 },
} as const;

/** The options each strategy takes, and the CLI flag each is read from (errors name the flag). */
export const RESTART_FLAGS: { readonly [S in RestartStrategyName]: Readonly<Record<string, string>> } = {
  none: {},
  'fixed-delay': { attempts: 'restart-attempts', delayMs: 'restart-delay' },
  'exponential-delay': {
    initialDelayMs: 'restart-initial-delay', maxDelayMs: 'restart-max-delay', multiplier: 'restart-multiplier',
    jitter: 'restart-jitter', resetAfterMs: 'restart-reset-after', attempts: 'restart-attempts',
  },
  'failure-rate': { maxFailures: 'restart-max-failures', intervalMs: 'restart-failure-interval', delayMs: 'restart-delay' },
};

const STRATEGIES = Object.keys(RESTART_FLAGS) as RestartStrategyName[];

/** An option's value checked by `rule`, or its default when it is not given. */
function check(flag: string, value: unknown, fallback: number, rule: NumberRule = {}): number {
  return value === undefined ? fallback : checkNumber(flag, value, { min: 0, ...rule });
}

/** Checks the options (errors name the CLI flag) and fills in defaults; without options, Flink's choice: exponential-delay with checkpointing, none without. */
export function resolveRestartOptions(opts: RestartOptions | undefined, checkpointing: boolean): ResolvedRestartOptions {
  const o: RestartOptions = opts ?? (checkpointing ? { strategy: 'exponential-delay' } : { strategy: 'none' });
  oneOf('restart-strategy', o.strategy, STRATEGIES);
  const own = RESTART_FLAGS[o.strategy];
  for (const [key, value] of Object.entries(o)) {
    if (key === 'strategy' || value === undefined || key in own) continue;
    const flag = STRATEGIES.map((s) => RESTART_FLAGS[s][key]).find((f) => f !== undefined) ?? key;
    throw new ConfigError(flag, `does not apply to restart strategy ${o.strategy}`);
  }
  switch (o.strategy) {
    case 'none':
      return { strategy: 'none' };
    case 'fixed-delay': {
      const d = RESTART_DEFAULTS['fixed-delay'];
      return { strategy: 'fixed-delay', attempts: check('restart-attempts', o.attempts, d.attempts, { integer: true }), delayMs: check('restart-delay', o.delayMs, d.delayMs) };
    }
    case 'exponential-delay': {
      const d = RESTART_DEFAULTS['exponential-delay'];
      const initialDelayMs = check('restart-initial-delay', o.initialDelayMs, d.initialDelayMs);
      const maxDelayMs = check('restart-max-delay', o.maxDelayMs, Math.max(d.maxDelayMs, initialDelayMs));
      if (maxDelayMs < initialDelayMs) throw new ConfigError('restart-max-delay', `must be at least the initial delay (${initialDelayMs} ms), got ${maxDelayMs}`);
      return {
        strategy: 'exponential-delay', initialDelayMs, maxDelayMs,
        multiplier: check('restart-multiplier', o.multiplier, d.multiplier, { min: 1 }),
        jitter: check('restart-jitter', o.jitter, d.jitter, { max: 1 }),
        resetAfterMs: check('restart-reset-after', o.resetAfterMs, d.resetAfterMs, { exclusive: true }),
        attempts: check('restart-attempts', o.attempts, d.attempts, { integer: true }),
      };
    }
    case 'failure-rate': {
      const d = RESTART_DEFAULTS['failure-rate'];
      return {
        strategy: 'failure-rate',
        maxFailures: check('restart-max-failures', o.maxFailures, d.maxFailures, { integer: true }),
        intervalMs: check('restart-failure-interval', o.intervalMs, d.intervalMs, { exclusive: true }),
        delayMs: check('restart-delay', o.delayMs, d.delayMs),
      };
    }
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const refuse = (reason: string): RestartDecision => ({ restart: false, delayMs: 0, reason });
const allUsed = (attempts: number) => refuse(`${plural(attempts, 'restart')} allowed, all used`);

/** Builds the strategy of the options (see resolveRestartOptions); `random` in [0, 1) draws the jitter. */
export function createRestartStrategy(opts: RestartOptions | undefined, checkpointing: boolean, random: () => number = Math.random): RestartStrategy {
  const o = resolveRestartOptions(opts, checkpointing);
  return { name: o.strategy, ...build(o, random) };
}

function build(o: ResolvedRestartOptions, random: () => number): Omit<RestartStrategy, 'name'> {
  switch (o.strategy) {
    case 'none':
      return { description: 'none: a failure fails the job', onFailure: () => refuse('restart strategy none: failures are not restarted') };
    case 'fixed-delay':
      return fixedDelay(o);
    case 'exponential-delay':
      return exponentialDelay(o, random);
    case 'failure-rate':
      return failureRate(o);
  }
}

function fixedDelay(o: Extract<ResolvedRestartOptions, { strategy: 'fixed-delay' }>): Omit<RestartStrategy, 'name'> {
  let restarts = 0;
  return {
    description: `fixed-delay: ${plural(o.attempts, 'attempt')}, ${o.delayMs} ms apart`,
    onFailure() {
      if (restarts >= o.attempts) return allUsed(o.attempts);
      restarts++;
      return { restart: true, delayMs: o.delayMs, reason: `restart ${restarts} of ${o.attempts} after ${o.delayMs} ms` };
    },
  };
}

/**
 * As Flink, the jitter is drawn around the capped delay, so a delay may exceed maxDelayMs by
 * up to the jitter share; that keeps restarts of many jobs at the cap from falling in step.
 */
function exponentialDelay(o: Extract<ResolvedRestartOptions, { strategy: 'exponential-delay' }>, random: () => number): Omit<RestartStrategy, 'name'> {
  const limited = o.attempts !== Infinity;
  let restarts = 0;
  let next = o.initialDelayMs;
  let last: number | undefined;
  const jitter = o.jitter ? `, ±${+(o.jitter * 100).toFixed(2)}% jitter` : '';
  return {
    description: `exponential-delay: ${o.initialDelayMs} ms ×${o.multiplier} up to ${o.maxDelayMs} ms${jitter}, `
      + `reset after ${o.resetAfterMs} ms without failure, ${limited ? plural(o.attempts, 'attempt') : 'unlimited attempts'}`,
    onFailure(now) {
      let note = '';
      if (last !== undefined && now - last >= o.resetAfterMs) {
        restarts = 0;
        next = o.initialDelayMs;
        note = ` (reset: ${now - last} ms since the previous failure)`;
      }
      last = now;
      if (restarts >= o.attempts) return allUsed(o.attempts);
      restarts++;
      const base = next;
      next = Math.min(base * o.multiplier, o.maxDelayMs);
      const delayMs = Math.max(0, Math.round(base * (1 + o.jitter * (2 * random() - 1))));
      return { restart: true, delayMs, reason: `restart ${restarts}${limited ? ` of ${o.attempts}` : ''} after ${delayMs} ms${note}` };
    },
  };
}

/** A failure exactly intervalMs ago has left the window: the window is (now - intervalMs, now]. */
function failureRate(o: Extract<ResolvedRestartOptions, { strategy: 'failure-rate' }>): Omit<RestartStrategy, 'name'> {
  let recent: number[] = [];
  return {
    description: `failure-rate: at most ${plural(o.maxFailures, 'failure')} in ${o.intervalMs} ms, ${o.delayMs} ms before each restart`,
    onFailure(now) {
      recent = recent.filter((t) => now - t < o.intervalMs);
      recent.push(now);
      const within = `${plural(recent.length, 'failure')} in the last ${o.intervalMs} ms`;
      if (recent.length > o.maxFailures) return refuse(`${within}, more than the ${o.maxFailures} allowed`);
      return { restart: true, delayMs: o.delayMs, reason: `restart after ${o.delayMs} ms (${within}, at most ${o.maxFailures} allowed)` };
    },
  };
}
