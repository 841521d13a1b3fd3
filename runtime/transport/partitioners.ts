/** Choosing the consumer subtask (channel) of each record on an edge. */
import { UserFunctionError, type ErrorOrigin, errorMessage } from '../../base/errors.js';
import { invalidKeyReason, keyGroupOf, subtaskForKeyGroup } from '../../base/keygroups.js';
import type { KeySelector } from '../../base/keygroups.js';
import type { Partitioning } from '../plan/graph.js';

/** Picks the channel index for a record; BROADCAST means every channel. */
export type Partitioner = (record: unknown) => number;

/** Returned by the broadcast partitioner. */
export const BROADCAST = -1;

/** Options for building a partitioner. */
export interface PartitionerOptions {
  partitioning: Partitioning;
  /** Number of channels of the edge from this producer subtask. */
  channels: number;
  /** Producer subtask index; rebalance starts there so subtasks spread their first records. */
  subtask: number;
  maxParallelism: number;
  keySelector?: KeySelector;
  /** Named in errors thrown by the key selector. */
  origin: ErrorOrigin;
  /** The operator the keyBy leads to, named in key selector errors. */
  target?: string;
}

/** Builds the partitioner of one edge at one producer subtask. */
export function makePartitioner(opts: PartitionerOptions): Partitioner {
  const n = opts.channels;
  switch (opts.partitioning) {
    case 'forward':
      return () => 0;
    case 'broadcast':
      return () => BROADCAST;
    case 'rebalance': {
      let next = opts.subtask % n;
      return () => {
        const c = next;
        next = next + 1 === n ? 0 : next + 1;
        return c;
      };
    }
    case 'hash': {
      const select = opts.keySelector;
      if (!select) throw new Error('hash partitioning without a key selector');
      const maxP = opts.maxParallelism;
      const what = `key selector of the keyBy to "${opts.target ?? '?'}"`;
      return (record) => {
        let key;
        try {
          key = select(record);
        } catch (err) {
          throw new UserFunctionError(opts.origin, record, new Error(`${what}: ${errorMessage(err)}`));
        }
        const bad = invalidKeyReason(key);
        if (bad) throw new UserFunctionError(opts.origin, record, new Error(`${what}: ${bad}`));
        return subtaskForKeyGroup(keyGroupOf(key, maxP), maxP, n);
      };
    }
  }
}
