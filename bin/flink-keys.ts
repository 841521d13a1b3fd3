/**
 * Flink's configuration keys and the snapflow flags they set, for `--config FILE.yaml` and
 * `-D key=value`: a user's Flink settings carry over as they are written. Values are turned into
 * the flag's spelling where Flink spells them otherwise (`EXACTLY_ONCE`, `hashmap`, `fixeddelay`).
 */
import { ConfigError } from '../base/errors.js';

/** The flag a key sets, and how its value becomes the flag's. */
export interface KeyMapping {
  flag: string;
  value?(v: unknown, key: string): unknown;
}

const lower = (v: unknown) => String(v).trim().toLowerCase();

function pick(key: string, v: unknown, table: Record<string, string>): string {
  const out = table[lower(v).replace(/_/g, '-')];
  if (out === undefined) throw new ConfigError(key, `must be one of ${[...new Set(Object.keys(table))].join(', ')}, got "${String(v)}"`);
  return out;
}

const truth = (key: string, v: unknown): boolean => {
  if (v === true || v === false) return v;
  const s = lower(v);
  if (s === 'true' || s === 'false') return s === 'true';
  throw new ConfigError(key, `must be true or false, got "${String(v)}"`);
};

const incremental: KeyMapping = { flag: 'checkpoint-mode', value: (v, key) => (truth(key, v) ? 'incremental' : 'full') };
const backend: KeyMapping = { flag: 'state-backend', value: (v, key) => pick(key, v, { hashmap: 'heap', heap: 'heap', lmdb: 'lmdb' }) };
const guarantee: KeyMapping = { flag: 'checkpointing-mode', value: (v, key) => pick(key, v, { 'exactly-once': 'exactly-once', 'at-least-once': 'at-least-once' }) };
const restart: KeyMapping = {
  flag: 'restart-strategy',
  value: (v, key) => pick(key, v, {
    none: 'none', off: 'none', disable: 'none', 'no-restart': 'none',
    'fixed-delay': 'fixed-delay', fixeddelay: 'fixed-delay', 'failure-rate': 'failure-rate', failurerate: 'failure-rate',
    'exponential-delay': 'exponential-delay', 'exponentialdelay': 'exponential-delay',
  }),
};
const flag = (name: string): KeyMapping => ({ flag: name });

/** Flink's keys (older spellings too) → snapflow flags. */
export const FLINK_KEYS: Record<string, KeyMapping> = {
  'execution.checkpointing.interval': flag('checkpoint-interval'),
  'execution.checkpointing.incremental': incremental,
  'state.backend.incremental': incremental,
  'execution.checkpointing.mode': guarantee,
  'execution.checkpointing.timeout': flag('checkpoint-timeout'),
  'execution.checkpointing.min-pause': flag('min-pause'),
  'execution.checkpointing.max-concurrent-checkpoints': flag('max-concurrent-checkpoints'),
  'execution.checkpointing.tolerable-failed-checkpoints': flag('tolerable-failures'),
  'execution.checkpointing.num-retained': flag('retained'),
  'execution.checkpointing.unaligned': { flag: 'unaligned', value: (v, key) => truth(key, v) },
  'execution.checkpointing.unaligned.enabled': { flag: 'unaligned', value: (v, key) => truth(key, v) },
  'execution.checkpointing.aligned-checkpoint-timeout': flag('aligned-checkpoint-timeout'),
  'execution.checkpointing.alignment-timeout': flag('aligned-checkpoint-timeout'),
  'state.checkpoints.num-retained': flag('retained'),
  'execution.checkpointing.dir': flag('checkpoint-dir'),
  'state.checkpoints.dir': flag('checkpoint-dir'),
  'execution.checkpointing.savepoint-dir': flag('savepoint-dir'),
  'state.savepoints.dir': flag('savepoint-dir'),
  'state.backend.type': backend,
  'state.backend': backend,
  'restart-strategy.type': restart,
  'restart-strategy': restart,
  'restart-strategy.fixed-delay.attempts': flag('restart-attempts'),
  'restart-strategy.fixed-delay.delay': flag('restart-delay'),
  'restart-strategy.failure-rate.max-failures-per-interval': flag('restart-max-failures'),
  'restart-strategy.failure-rate.failure-rate-interval': flag('restart-failure-interval'),
  'restart-strategy.failure-rate.delay': flag('restart-delay'),
  'restart-strategy.exponential-delay.initial-backoff': flag('restart-initial-delay'),
  'restart-strategy.exponential-delay.max-backoff': flag('restart-max-delay'),
  'restart-strategy.exponential-delay.backoff-multiplier': flag('restart-multiplier'),
  'restart-strategy.exponential-delay.jitter-factor': flag('restart-jitter'),
  'restart-strategy.exponential-delay.reset-backoff-threshold': flag('restart-reset-after'),
  'restart-strategy.exponential-delay.attempts-before-reset-backoff': flag('restart-attempts'),
  'parallelism.default': flag('parallelism'),
  'pipeline.max-parallelism': flag('max-parallelism'),
  'pipeline.operator-chaining.enabled': { flag: 'chaining', value: (v, key) => truth(key, v) },
  'pipeline.operator-chaining': { flag: 'chaining', value: (v, key) => truth(key, v) },
  'metrics.latency.interval': flag('latency-interval'),
  'taskmanager.network.memory.buffer-debloat.enabled': { flag: 'buffer-debloat', value: (v, key) => truth(key, v) },
  'taskmanager.network.memory.buffer-debloat.target': flag('buffer-debloat-target'),
  'rest.port': flag('rest-port'),
  'rest.address': flag('rest-address'),
  'rest.bind-address': flag('rest-address'),
};

/** The mapping of `key`: a Flink key, or else one of snapflow's own flag names (every flag can be set in a file). */
export function mappingOf(key: string): KeyMapping {
  return FLINK_KEYS[key] ?? { flag: key };
}
