/** A test helper: asserts that a call throws a ConfigError whose message matches every pattern. */
import type t from 'tap';
import { ConfigError } from '../../base/errors.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

/** Runs `fn`, expects a ConfigError, and matches its message against each pattern. */
export function configError(t: Tap, fn: () => unknown, patterns: RegExp[], msg: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof ConfigError, `${msg}: ConfigError`);
  const message = (caught as Error | undefined)?.message ?? '';
  for (const p of patterns) t.match(message, p, `${msg}: message matches ${p}`);
}
