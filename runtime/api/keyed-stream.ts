/** The stream behind KeyedStream: its operators get keyed state and the records' keys set as current. */
import { ConfigError } from '../../base/errors.js';
import type { KeySelector, StateKey } from '../../base/keygroups.js';
import type { StreamOperator } from '../../operators/api.js';
import { AggregateOperator, ReduceOperator, type AggregateFunction } from '../../operators/keyed/fold.js';
import { KeyedProcessOperator, type KeyedProcessFunction } from '../../operators/keyed/process.js';
import type { WindowAssigner } from '../../operators/windows/assigners.js';
import type { JobBuilder, StreamInput } from './builder.js';
import { DataStreamImpl, inputsOf } from './data-stream.js';
import type { DataStream, IntervalJoin, KeyedStream, WindowedStream } from './types.js';

/** A stream partitioned by key K. */
export class KeyedStreamImpl<T, K extends StateKey> extends DataStreamImpl<T> implements KeyedStream<T, K> {
  /** `inputs` are hash-partitioned by the key selector already. */
  constructor(builder: JobBuilder, inputs: StreamInput[]) {
    super(builder, inputs);
  }

  /** The key selector, held untyped on the edges so that a stream of a subtype is a stream of its supertype. */
  private get selector(): KeySelector {
    return this.inputs[0].edge.keySelector!;
  }

  // Typed loosely here: users see KeyedStream's signature, whose output-type inference this need not repeat.
  process(fn: KeyedProcessFunction<T, K, unknown>, name = 'KeyedProcess'): DataStream<never> {
    if (typeof fn !== 'function' && typeof (fn as { processElement?: unknown } | null)?.processElement !== 'function') {
      throw new ConfigError(`operator "${name}"`, 'expects a function (record, ctx) or an object { processElement(record, ctx), onTimer?(time, ctx) }');
    }
    const create = () => new KeyedProcessOperator<T, K, unknown>(this.selector, fn) as StreamOperator<T, never>;
    return this.append<never>(name, create, this.selector);
  }

  reduce(fn: (a: T, b: T) => T, name = 'Reduce'): DataStream<T> {
    return this.append<T>(name, () => new ReduceOperator(this.selector, fn), this.selector);
  }

  aggregate<A, R>(fn: AggregateFunction<T, A, R>, name = 'Aggregate'): DataStream<R> {
    return this.append<R>(name, () => new AggregateOperator(this.selector, fn), this.selector);
  }

  window(assigner: WindowAssigner): WindowedStream<T, K> {
    return this.builder.streams.windowed<T, K>(this.builder, this.inputs, assigner);
  }

  intervalJoin<B>(other: KeyedStream<B, K>): IntervalJoin<T, B, K> {
    const b = inputsOf(other, this.builder, 'intervalJoin');
    if (b[0].edge.keySelector === undefined) throw new ConfigError('intervalJoin', 'expects a keyed stream: keyBy the other stream first');
    return this.builder.streams.intervalJoin<T, B, K>(this.builder, this.inputs, b);
  }
}
