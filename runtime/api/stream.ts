/**
 * The streams of the job API: each operator a job adds yields a stream typed by the records it
 * emits, so types flow from the source through every operator to the sink. A keyed stream
 * also carries the type of its key to the keyed operators after it.
 */
import type { Writable } from 'node:stream';
import { ConfigError } from '../../base/errors.js';
import type { KeySelector, StateKey } from '../../base/keygroups.js';
import { positiveInteger } from '../../base/validate.js';
import type { StreamOperator } from '../../operators/api.js';
import { FilterOperator, FlatMapOperator, MapOperator } from '../../operators/basic.js';
import { AggregateOperator, KeyedCustomOperator, KeyedProcessOperator, ReduceOperator, type AggregateFunction, type KeyedProcessFunction } from '../../operators/keyed.js';
import { CollectSink } from '../../operators/sinks/collect.js';
import { DiscardSink, type DiscardOptions } from '../../operators/sinks/discard.js';
import { FileSink, type FileSinkOptions } from '../../operators/sinks/file.js';
import { PrintSink } from '../../operators/sinks/print.js';
import type { GraphNode, Partitioning } from '../plan/graph.js';
import type { JobBuilder, StreamEdge } from './builder.js';

/** What a keyed process function's stream carries: what it returned or emitted, never the undefined of "nothing this time". */
export type ProcessOutput<R> = [R] extends [void] ? never : Exclude<R, undefined | void>;

/** A job module written in JavaScript may pass anything; a factory that is not a function fails the build, naming the operator. */
function checkFactory(create: unknown, name: string): void {
  if (typeof create !== 'function') throw new ConfigError(`operator "${name}"`, `expects a function that creates the operator, got ${create === null ? 'null' : typeof create}`);
}

/** The settings of the operator behind a stream or a sink: parallelism, name and chaining. */
abstract class Transformation {
  constructor(protected readonly builder: JobBuilder, protected readonly node: GraphNode) {}

  /** Sets this operator's parallelism. */
  setParallelism(n: number): this {
    this.node.parallelism = positiveInteger(`parallelism of "${this.node.name}"`, n);
    return this;
  }

  /** Renames this operator (names appear in errors and statistics). */
  name(name: string): this {
    this.node.name = name;
    return this;
  }

  /** Runs this operator in an actor of its own: chained neither to its predecessor nor its successor. */
  disableChaining(): this {
    this.node.chaining = 'never';
    return this;
  }

  /** Starts a new chain at this operator; its successors may still chain to it. */
  startNewChain(): this {
    this.node.chaining = 'new-chain';
    return this;
  }
}

/** The end of a stream: a sink, which emits nothing. */
export class DataStreamSink extends Transformation {}

/** A stream of records of type T produced by one operator. */
export class DataStream<T> extends Transformation {
  constructor(builder: JobBuilder, node: GraphNode, protected readonly edge: StreamEdge = {}) {
    super(builder, node);
  }

  /** Adds an operator consuming this stream; with a key selector it has keyed state. */
  protected append<R>(name: string, create: () => StreamOperator<T, R>, keySelector?: KeySelector): DataStream<R> {
    const spec = { kind: 'operator' as const, createOperator: create as () => StreamOperator, keySelector };
    return new DataStream<R>(this.builder, this.builder.addOperator(this.node, this.edge, name, spec));
  }

  private sink(name: string, create: () => StreamOperator<T, never>): DataStreamSink {
    const spec = { kind: 'operator' as const, createOperator: create as () => StreamOperator };
    return new DataStreamSink(this.builder, this.builder.addOperator(this.node, this.edge, name, spec, true));
  }

  private repartitioned(partitioning: Partitioning): DataStream<T> {
    return new DataStream<T>(this.builder, this.node, { partitioning });
  }

  /** One output record per input record. */
  map<R>(fn: (record: T) => R, name = 'Map'): DataStream<R> {
    return this.append(name, () => new MapOperator(fn));
  }

  /** Keeps the records for which fn returns true; a type guard narrows the stream's type. */
  filter<S extends T>(fn: (record: T) => record is S, name?: string): DataStream<S>;
  /** Keeps the records for which fn returns true. */
  filter(fn: (record: T) => boolean, name?: string): DataStream<T>;
  filter(fn: (record: T) => boolean, name = 'Filter'): DataStream<T> {
    return this.append(name, () => new FilterOperator(fn));
  }

  /** Zero or more output records per input record. */
  flatMap<R>(fn: (record: T) => Iterable<R> | undefined | void, name = 'FlatMap'): DataStream<R> {
    return this.append(name, () => new FlatMapOperator(fn));
  }

  /** An operator of your own: a new one per subtask, from `create`; after keyBy its state is keyed by each record's key. */
  transform<R>(create: () => StreamOperator<T, R>, name = 'Transform'): DataStream<R> {
    checkFactory(create, name);
    const keySelector = this.edge.keySelector;
    if (keySelector === undefined) return this.append(name, create);
    return this.append<R>(name, () => new KeyedCustomOperator<T, R>(keySelector, create()), keySelector);
  }

  /** Partitions by key: records with equal keys reach the same subtask and share state. */
  keyBy<K extends StateKey>(selector: (record: T) => K): KeyedStream<T, K> {
    return new KeyedStream<T, K>(this.builder, this.node, selector);
  }

  /** Distributes records round-robin over the next operator's subtasks. */
  rebalance(): DataStream<T> {
    return this.repartitioned('rebalance');
  }

  /** Sends every record to every subtask of the next operator. */
  broadcast(): DataStream<T> {
    return this.repartitioned('broadcast');
  }

  /** Sends records to the next operator's subtask of the same index (equal parallelism). */
  forward(): DataStream<T> {
    return this.repartitioned('forward');
  }

  /** Prints every record on stdout (or to `target` in single-thread runs). */
  print(name = 'Sink: Print', target?: Writable): DataStreamSink {
    return this.sink(name, () => new PrintSink(target));
  }

  /** Returns every record to the caller of execute(), under this sink's name. */
  collect(name = 'collect'): DataStreamSink {
    return this.sink(name, () => new CollectSink(name));
  }

  /** Writes records to part files in a folder, as CSV or JSON lines, exactly once. */
  sinkToFile(dir: string, options: FileSinkOptions = {}, name = `Sink: File ${dir}`): DataStreamSink {
    return this.sink(name, () => new FileSink(dir, options));
  }

  /** Drops every record (optionally slowly, optionally measuring latency). */
  discard(options: DiscardOptions = {}, name = 'Sink: Discard'): DataStreamSink {
    return this.sink(name, () => new DiscardSink(options));
  }

  /** A sink of your own: a new operator per subtask, from `create`. */
  sinkTo(create: () => StreamOperator<T, never>, name = 'Sink'): DataStreamSink {
    checkFactory(create, name);
    return this.sink(name, create);
  }
}

/** A stream partitioned by key K; the operators after it have keyed state, scoped to each record's key. */
export class KeyedStream<T, K extends StateKey = StateKey> extends DataStream<T> {
  constructor(builder: JobBuilder, node: GraphNode, selector: (record: T) => K) {
    super(builder, node, { partitioning: 'hash', keySelector: selector });
  }

  /** The key selector, held untyped on the edge so that a stream of a subtype is a stream of its supertype. */
  private get selector(): KeySelector {
    return this.edge.keySelector!;
  }

  /**
   * Calls fn per record with its key, keyed state and an emitter. What fn returns (unless
   * undefined) is emitted, so its output type is inferred from the return; a function that
   * emits through ctx.emit names its output type: `process<Out>(…)`.
   */
  process<R = never, E extends R = R>(fn: KeyedProcessFunction<T, K, R, E>, name = 'KeyedProcess'): DataStream<ProcessOutput<R>> {
    const create = () => new KeyedProcessOperator<T, K, R>(this.selector, fn as KeyedProcessFunction<T, K, R>) as StreamOperator<T, never>;
    return this.append<ProcessOutput<R>>(name, create, this.selector);
  }

  /** Emits the running reduction of each key's records. */
  reduce(fn: (a: T, b: T) => T, name = 'Reduce'): DataStream<T> {
    return this.append<T>(name, () => new ReduceOperator(this.selector, fn), this.selector);
  }

  /** Emits the running aggregate of each key's records. */
  aggregate<A, R>(fn: AggregateFunction<T, A, R>, name = 'Aggregate'): DataStream<R> {
    return this.append<R>(name, () => new AggregateOperator(this.selector, fn), this.selector);
  }
}
