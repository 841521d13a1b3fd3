import t from 'tap';
import { ConfigError } from '../../base/errors.js';
import { checkNumber, oneOf, parseDuration, parseNumber, positiveInteger } from '../../base/validate.js';
import { configError } from '../support/config-error.js';

t.test('checkNumber accepts what the rule allows and names the option otherwise', async (t) => {
  t.equal(checkNumber('x', 3, { integer: true, min: 1 }), 3);
  t.equal(checkNumber('x', 0.5, { min: 0, max: 1 }), 0.5);
  t.equal(checkNumber('x', 1, { min: 0, max: 1 }), 1, 'the maximum is inclusive');
  configError(t, () => checkNumber('retained', 0, { integer: true, min: 1 }), [/^option retained: must be an integer ≥ 1, got 0$/], 'below the minimum');
  configError(t, () => checkNumber('ratio', 0, { min: 0, exclusive: true }), [/^option ratio: must be a number > 0, got 0$/], 'an exclusive minimum');
  configError(t, () => checkNumber('jitter', 1.5, { min: 0, max: 1 }), [/must be a number between 0 and 1, got 1\.5/], 'above the maximum');
  configError(t, () => checkNumber('n', 1.5, { integer: true }), [/must be an integer, got 1\.5/], 'not whole');
  configError(t, () => checkNumber('n', '3', {}), [/must be a finite number, got 3/], 'a string is no number');
  configError(t, () => checkNumber('n', NaN), [/got NaN/], 'NaN');
  configError(t, () => checkNumber('n', Infinity, { min: 0 }), [/got Infinity/], 'infinite');
  configError(t, () => checkNumber('n', 2 ** 53, { integer: true }), [/must be an integer/], 'beyond safe integers');
});

t.test('positiveInteger is a whole number of at least 1', async (t) => {
  t.equal(positiveInteger('parallelism', 4), 4);
  for (const bad of [0, -1, 1.5, undefined]) t.throws(() => positiveInteger('parallelism', bad), ConfigError, String(bad));
});

t.test('oneOf checks a choice and falls back when none is given', async (t) => {
  const kinds = ['lmdb', 'heap'] as const;
  t.equal(oneOf('state-backend', 'heap', kinds), 'heap');
  t.equal(oneOf('state-backend', undefined, kinds, 'lmdb'), 'lmdb', 'the fallback');
  configError(t, () => oneOf('state-backend', 'rocksdb', kinds, 'lmdb'), [/^option state-backend: must be one of lmdb, heap, got rocksdb$/], 'unknown');
  configError(t, () => oneOf('state-backend', undefined, kinds), [/got undefined/], 'missing without a fallback');
});

t.test('parseNumber reads numbers as typed on a command line', async (t) => {
  t.equal(parseNumber('--rows', '1e6'), 1_000_000);
  t.equal(parseNumber('--rows', '10_000_000'), 10_000_000);
  t.equal(parseNumber('--rows', 7), 7);
  configError(t, () => parseNumber('--rows', 'many'), [/^option --rows: must be a number, got "many"$/], 'not a number');
  configError(t, () => parseNumber('--rows', ''), [/got ""/], 'empty');
});

t.test('durations take Flink\'s units; a bare number is milliseconds', async (t) => {
  const cases: [unknown, number][] = [[250, 250], ['250', 250], ['500ms', 500], ['10s', 10_000], ['10 s', 10_000], ['1.5s', 1500], ['2min', 120_000],
    ['1 h', 3_600_000], ['1d', 86_400_000], ['1_000', 1000], ['250us', 0.25], ['0', 0], ['3 seconds', 3000]];
  for (const [given, ms] of cases) t.equal(parseDuration('interval', given), ms, `${JSON.stringify(given)} is ${ms} ms`);
  for (const bad of ['', 'ten', '10 fortnights', '-5s', 's', '1s2']) {
    t.throws(() => parseDuration('checkpoint-interval', bad), { name: 'ConfigError', message: /option checkpoint-interval: must be a duration/ }, `"${bad}" refused`);
  }
  t.throws(() => parseDuration('x', -1), { name: 'ConfigError' }, 'a negative number too');
});
