/**
 * The streams behind connect and intervalJoin: two inputs, keyed alike, into one two-input
 * operator whose edges say which input each stream feeds (the first, or the second).
 */
import { ConfigError } from '../../base/errors.js';
import type { KeySelector, StateKey } from '../../base/keygroups.js';
import { checkNumber } from '../../base/validate.js';
import type { StreamOperator } from '../../operators/api.js';
import { KeyedCoProcessOperator, type KeyedCoProcessFunction } from '../../operators/keyed/co-process.js';
import { IntervalJoinOperator, type IntervalJoinFunction } from '../../operators/keyed/interval-join.js';
import { overEdge, type JobBuilder, type StreamInput } from './builder.js';
import type { ConnectedKeyedStreams, ConnectedStreams, DataStream, IntervalJoin, IntervalJoined } from './types.js';

/** Adds a keyed two-input operator reading `a` (hashed by keyA) on its first input and `b` (hashed by keyB) on its second. */
function twoInput<R>(builder: JobBuilder, a: StreamInput[], b: StreamInput[], name: string, create: () => StreamOperator): DataStream<R> {
  const inputs = [...a.map((i) => ({ node: i.node, edge: { ...i.edge, input: 0 } })), ...b.map((i) => ({ node: i.node, edge: { ...i.edge, input: 1 } }))];
  const node = builder.addOperator(inputs, name, { kind: 'operator', inputs: 2, keySelector: a[0].edge.keySelector, createOperator: create });
  return builder.streams.data<R>(builder, [{ node, edge: {} }]);
}

/** The same inputs, hash-partitioned by `selector`. */
const hashed = (inputs: StreamInput[], selector: KeySelector): StreamInput[] => overEdge(inputs, { partitioning: 'hash', keySelector: selector });

/** Two streams connected. */
export class ConnectedStreamsImpl<A, B> implements ConnectedStreams<A, B> {
  constructor(private readonly builder: JobBuilder, private readonly a: StreamInput[], private readonly b: StreamInput[]) {}

  keyBy<K extends StateKey>(keyA: (record: A) => K, keyB: (record: B) => K): ConnectedKeyedStreams<A, B, K> {
    if (typeof keyA !== 'function' || typeof keyB !== 'function') throw new ConfigError('keyBy', 'expects a key selector for each of the two streams');
    return new ConnectedKeyedImpl<A, B, K>(this.builder, hashed(this.a, keyA), hashed(this.b, keyB));
  }
}

/** Two streams keyed alike. */
class ConnectedKeyedImpl<A, B, K extends StateKey> implements ConnectedKeyedStreams<A, B, K> {
  constructor(private readonly builder: JobBuilder, private readonly a: StreamInput[], private readonly b: StreamInput[]) {}

  // Typed loosely here: users see ConnectedKeyedStreams' signature.
  process(fn: KeyedCoProcessFunction<A, B, K, unknown>, name = 'KeyedCoProcess'): DataStream<never> {
    for (const m of ['processElement1', 'processElement2'] as const) {
      if (typeof fn?.[m] !== 'function') throw new ConfigError(`operator "${name}"`, `expects an object { processElement1(record, ctx), processElement2(record, ctx), onTimer?(time, ctx) }, without ${m}`);
    }
    const [keyA, keyB] = [this.a[0].edge.keySelector!, this.b[0].edge.keySelector!];
    return twoInput(this.builder, this.a, this.b, name, () => new KeyedCoProcessOperator<A, B, K, unknown>(keyA, keyB, fn));
  }
}

/** An interval join of two keyed streams. */
export class IntervalJoinImpl<A, B, K extends StateKey> implements IntervalJoin<A, B, K> {
  constructor(private readonly builder: JobBuilder, private readonly a: StreamInput[], private readonly b: StreamInput[]) {}

  between(lowerMs: number, upperMs: number): IntervalJoined<A, B, K> {
    checkNumber('lowerMs', lowerMs);
    checkNumber('upperMs', upperMs, { min: lowerMs });
    const { builder, a, b } = this;
    return {
      process: (fn: IntervalJoinFunction<A, B, K, unknown>, name = 'IntervalJoin') => {
        if (typeof fn !== 'function') throw new ConfigError(`operator "${name}"`, 'expects a function (left, right, ctx)');
        const [keyA, keyB] = [a[0].edge.keySelector!, b[0].edge.keySelector!];
        return twoInput<never>(builder, a, b, name, () => new IntervalJoinOperator<A, B, K, unknown>(keyA, keyB, lowerMs, upperMs, fn));
      },
    };
  }
}
