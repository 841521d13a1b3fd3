import t, { type Test } from 'tap';
import { restartArgs } from '../../../bin/restart-args.js';
import { ConfigError } from '../../../base/errors.js';
import { createRestartStrategy, resolveRestartOptions, type RestartOptions, type RestartStrategy } from '../../../runtime/recovery/restart.js';
import { mulberry32 } from '../../../base/random.js';

/** Failures at the given times; returns [restart, delayMs] of each decision. */
const decide = (s: RestartStrategy, times: number[]) => times.map((now) => {
  const d = s.onFailure(now);
  return [d.restart, d.delayMs] as const;
});

const half = () => 0.5;

/** The ConfigError thrown by fn must name `flag`. */
function throwsFor(t: Test, fn: () => unknown, flag: string, message?: RegExp) {
  try {
    fn();
    t.fail(`expected a ConfigError for ${flag}`);
  } catch (err) {
    t.ok(err instanceof ConfigError, `a ConfigError for ${flag}`);
    t.equal((err as ConfigError).detail.option, flag);
    t.match((err as Error).message, new RegExp(`option ${flag}: `));
    if (message) t.match((err as Error).message, message);
  }
}

t.test('none never restarts', async (t) => {
  const s = createRestartStrategy({ strategy: 'none' }, true);
  t.same(decide(s, [0, 100_000]), [[false, 0], [false, 0]]);
  t.match(s.onFailure(1).reason, /none/);
  t.equal(s.description, 'none: a failure fails the job');
});

t.test('fixed-delay restarts `attempts` times after the same delay, then refuses', async (t) => {
  const s = createRestartStrategy({ strategy: 'fixed-delay', attempts: 3, delayMs: 3000 }, false);
  t.equal(s.description, 'fixed-delay: 3 attempts, 3000 ms apart');
  const reasons = [0, 10, 20, 30, 40].map((now) => s.onFailure(now));
  t.same(reasons.map((d) => [d.restart, d.delayMs]), [[true, 3000], [true, 3000], [true, 3000], [false, 0], [false, 0]]);
  t.equal(reasons[1].reason, 'restart 2 of 3 after 3000 ms');
  t.equal(reasons[3].reason, '3 restarts allowed, all used');
  t.same(decide(createRestartStrategy({ strategy: 'fixed-delay' }, false), [0, 1, 2, 3]), [[true, 1000], [true, 1000], [true, 1000], [false, 0]], 'defaults: 3 attempts, 1000 ms');
  t.same(decide(createRestartStrategy({ strategy: 'fixed-delay', attempts: 0 }, false), [0]), [[false, 0]], 'zero attempts never restarts');
});

t.test('exponential-delay grows by the multiplier up to the cap', async (t) => {
  const s = createRestartStrategy({ strategy: 'exponential-delay', initialDelayMs: 1000, multiplier: 2, maxDelayMs: 5000, jitter: 0 }, true);
  t.same(decide(s, [0, 1, 2, 3, 4, 5]).map((d) => d[1]), [1000, 2000, 4000, 5000, 5000, 5000]);
  t.equal(s.onFailure(6).reason, 'restart 7 after 5000 ms', 'unlimited attempts by default');
  const d = createRestartStrategy({ strategy: 'exponential-delay', jitter: 0 }, false);
  t.same(decide(d, [0, 1, 2, 3]).map((x) => x[1]), [1000, 1500, 2250, 3375], 'defaults: 1000 ms, ×1.5');
  t.match(d.description, /^exponential-delay: 1000 ms ×1.5 up to 60000 ms, reset after 3600000 ms without failure, unlimited attempts$/);
});

t.test('exponential-delay jitter stays within ±jitter of the undisturbed delay', async (t) => {
  const opts: RestartOptions = { strategy: 'exponential-delay', initialDelayMs: 1000, multiplier: 2, maxDelayMs: 64_000, jitter: 0.25 };
  const s = createRestartStrategy(opts, true, mulberry32(42));
  const plain = createRestartStrategy(opts, true, half);
  const delays = decide(s, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).map((d) => d[1]);
  const bases = decide(plain, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).map((d) => d[1]);
  t.same(bases, [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 64_000, 64_000, 64_000], 'random() = 0.5 means no jitter');
  delays.forEach((d, i) => t.ok(d >= bases[i] * 0.75 && d <= bases[i] * 1.25, `delay ${i + 1}: ${d} within ±25% of ${bases[i]}`));
  t.ok(delays.some((d, i) => d !== bases[i]), 'the jitter does move delays');
  t.same(decide(createRestartStrategy(opts, true, mulberry32(42)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).map((d) => d[1]), delays, 'same seed, same delays');
  const low = createRestartStrategy({ ...opts, initialDelayMs: 2000 }, true, () => 0);
  t.same(decide(low, [0]), [[true, 1500]], 'the lowest draw takes the full share off');
  const high = createRestartStrategy({ ...opts, initialDelayMs: 2000 }, true, () => 0.999_999_9);
  t.same(decide(high, [0]), [[true, 2500]], 'the highest draw adds the full share');
});

t.test('exponential-delay starts over after a quiet period, attempts included', async (t) => {
  const s = createRestartStrategy({ strategy: 'exponential-delay', initialDelayMs: 100, multiplier: 3, maxDelayMs: 10_000, jitter: 0, resetAfterMs: 5000, attempts: 3 }, true);
  t.same(decide(s, [0, 1000, 5999]), [[true, 100], [true, 300], [true, 900]], 'each gap just under resetAfterMs');
  const refused = s.onFailure(6000);
  t.same([refused.restart, refused.reason], [false, '3 restarts allowed, all used']);
  const again = s.onFailure(11_000);
  t.same([again.restart, again.delayMs], [true, 100], 'a gap of exactly resetAfterMs resets');
  t.match(again.reason, /^restart 1 of 3 after 100 ms \(reset: 5000 ms since the previous failure\)$/);
  t.same(decide(s, [11_001, 11_002, 11_003]), [[true, 300], [true, 900], [false, 0]]);
});

t.test('failure-rate restarts unless more than maxFailures fell within the sliding interval', async (t) => {
  const s = createRestartStrategy({ strategy: 'failure-rate', maxFailures: 2, intervalMs: 10_000, delayMs: 500 }, false);
  t.equal(s.description, 'failure-rate: at most 2 failures in 10000 ms, 500 ms before each restart');
  t.same(decide(s, [0, 4000]), [[true, 500], [true, 500]]);
  const third = s.onFailure(9999);
  t.same([third.restart, third.reason], [false, '3 failures in the last 10000 ms, more than the 2 allowed'], 'the current failure counts');
  t.same(decide(s, [13_999]), [[false, 0]], 'failures at 4000 and 9999 are still in the window');
  t.same(decide(s, [14_000]), [[false, 0]], '4000 left the window (exactly one interval ago) but 9999 and 13999 count');
  t.same(decide(s, [24_000]), [[true, 500]], 'the window slid past them all but 14000');
  const d = createRestartStrategy({ strategy: 'failure-rate' }, false);
  t.same(decide(d, [0, 59_999, 60_000, 120_000]), [[true, 1000], [false, 0], [false, 0], [true, 1000]], 'defaults: 1 failure per 60000 ms, 1000 ms delay');
});

t.test('defaults without options follow Flink: exponential-delay with checkpointing, none without', async (t) => {
  t.same(resolveRestartOptions(undefined, false), { strategy: 'none' });
  t.same(resolveRestartOptions(undefined, true), {
    strategy: 'exponential-delay', initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 1.5, jitter: 0.1, resetAfterMs: 3_600_000, attempts: Infinity,
  });
  t.same(decide(createRestartStrategy(undefined, false), [0]), [[false, 0]]);
  t.same(decide(createRestartStrategy(undefined, true, half), [0, 1]), [[true, 1000], [true, 1500]]);
  t.match(resolveRestartOptions({ strategy: 'exponential-delay', initialDelayMs: 120_000 }, true), { maxDelayMs: 120_000 }, 'the default cap never undercuts a larger initial delay');
  t.same(resolveRestartOptions({ strategy: 'fixed-delay' }, true), { strategy: 'fixed-delay', attempts: 3, delayMs: 1000 }, 'a chosen strategy wins over checkpointing');
});

t.test('invalid numbers raise a ConfigError naming the flag', async (t) => {
  const bad: [RestartOptions, string, RegExp][] = [
    [{ strategy: 'fixed-delay', attempts: 1.5 }, 'restart-attempts', /an integer ≥ 0, got 1.5/],
    [{ strategy: 'fixed-delay', attempts: -1 }, 'restart-attempts', /≥ 0/],
    [{ strategy: 'fixed-delay', delayMs: NaN }, 'restart-delay', /got NaN/],
    [{ strategy: 'exponential-delay', attempts: Infinity }, 'restart-attempts', /got Infinity/],
    [{ strategy: 'exponential-delay', initialDelayMs: -5 }, 'restart-initial-delay', /≥ 0/],
    [{ strategy: 'exponential-delay', initialDelayMs: 5000, maxDelayMs: 4000 }, 'restart-max-delay', /at least the initial delay \(5000 ms\)/],
    [{ strategy: 'exponential-delay', multiplier: 0.5 }, 'restart-multiplier', /≥ 1/],
    [{ strategy: 'exponential-delay', jitter: 1.5 }, 'restart-jitter', /between 0 and 1/],
    [{ strategy: 'exponential-delay', jitter: -0.1 }, 'restart-jitter', /between 0 and 1/],
    [{ strategy: 'exponential-delay', resetAfterMs: 0 }, 'restart-reset-after', /> 0/],
    [{ strategy: 'failure-rate', maxFailures: 2.5 }, 'restart-max-failures', /an integer/],
    [{ strategy: 'failure-rate', intervalMs: 0 }, 'restart-failure-interval', /> 0/],
    [{ strategy: 'failure-rate', delayMs: -1 }, 'restart-delay', /≥ 0/],
    [{ strategy: 'restart-always' } as unknown as RestartOptions, 'restart-strategy', /must be one of none, fixed-delay, exponential-delay, failure-rate/],
    [{ strategy: 'fixed-delay', jitter: 0.2 } as unknown as RestartOptions, 'restart-jitter', /does not apply to restart strategy fixed-delay/],
  ];
  for (const [opts, flag, message] of bad) throwsFor(t, () => createRestartStrategy(opts, true), flag, message);
});

t.test('restartArgs reads the flags of the chosen strategy', async (t) => {
  t.equal(restartArgs({}), undefined, 'no flags: the runtime default applies');
  t.same(restartArgs({ 'restart-strategy': 'none' }), { strategy: 'none' });
  t.same(restartArgs({ 'restart-strategy': 'fixed-delay', 'restart-attempts': 5, 'restart-delay': 200 }), { strategy: 'fixed-delay', attempts: 5, delayMs: 200 });
  t.same(restartArgs({
    'restart-strategy': 'exponential-delay', 'restart-initial-delay': 10, 'restart-max-delay': 100, 'restart-multiplier': 2,
    'restart-jitter': 0, 'restart-reset-after': 1000, 'restart-attempts': 4,
  }), { strategy: 'exponential-delay', initialDelayMs: 10, maxDelayMs: 100, multiplier: 2, jitter: 0, resetAfterMs: 1000, attempts: 4 });
  t.same(restartArgs({ 'restart-strategy': 'failure-rate', 'restart-max-failures': 3, 'restart-failure-interval': 5000, 'restart-delay': 0 }),
    { strategy: 'failure-rate', maxFailures: 3, intervalMs: 5000, delayMs: 0 });
});

t.test('restartArgs rejects a flag that does not belong to the chosen strategy, naming it', async (t) => {
  throwsFor(t, () => restartArgs({ 'restart-delay': 100 }), 'restart-delay', /needs --restart-strategy/);
  throwsFor(t, () => restartArgs({ 'restart-strategy': 'fixed-delay', 'restart-jitter': 0.2 }), 'restart-jitter',
    /does not apply to --restart-strategy fixed-delay \(it takes --restart-attempts, --restart-delay\)/);
  throwsFor(t, () => restartArgs({ 'restart-strategy': 'none', 'restart-attempts': 1 }), 'restart-attempts', /it takes no options/);
  throwsFor(t, () => restartArgs({ 'restart-strategy': 'failure-rate', 'restart-attempts': 1 }), 'restart-attempts');
  throwsFor(t, () => restartArgs({ 'restart-strategy': 'exponential-delay', 'restart-delay': 1 }), 'restart-delay');
  throwsFor(t, () => restartArgs({ 'restart-strategy': 'sometimes' }), 'restart-strategy');
  throwsFor(t, () => createRestartStrategy(restartArgs({ 'restart-strategy': 'fixed-delay', 'restart-attempts': NaN }), false), 'restart-attempts', /got NaN/);
});
