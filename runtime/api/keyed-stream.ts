/** The stream behind KeyedStream: its operators get keyed state and the records' keys set as current. */
import { ConfigError } from '../../base/errors.js';
import type { KeySelector, StateKey } from '../../base/keygroups.js';
import type { StreamOperator } from '../../operators/api.js';
import { AggregateOperator, ReduceOperator, type AggregateFunction } from '../../operators/keyed/fold.js';
import { KeyedProcessOperator, type KeyedProcessFunction } from '../../operators/keyed/process.js';
import type { WindowAssigner } from '../../operators/windows/assigners.js';
import type { GraphNode } from '../plan/graph.js';
import type { JobBuilder } from './builder.js';
import { DataStreamImpl } from './data-stream.js';
import type { DataStream, KeyedStream, WindowedStream } from './types.js';

/** A stream partitioned by key K. */
export class KeyedStreamImpl<T, K extends StateKey> extends DataStreamImpl<T> implements KeyedStream<T, K> {
  constructor(builder: JobBuilder, node: GraphNode, selector: (record: T) => K, tag?: string) {
    super(builder, node, { partitioning: 'hash', keySelector: selector, tag });
  }

  /** The key selector, held untyped on the edge so that a stream of a subtype is a stream of its supertype. */
  private get selector(): KeySelector {
    return this.edge.keySelector!;
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
    return this.builder.streams.windowed<T, K>(this.builder, this.node, this.edge, assigner);
  }
}
