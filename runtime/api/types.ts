/**
 * The streams of the job API as job modules see them: each operator a job adds yields a stream
 * typed by the records it emits, so types flow from the source through every operator to the
 * sink. A keyed stream carries its key's type to the keyed operators after it; a windowed one
 * waits for the function its windows apply. The classes behind them stay in the runtime.
 */
import type { Writable } from 'node:stream';
import type { StateKey } from '../../base/keygroups.js';
import type { StreamOperator } from '../../operators/api.js';
import type { AggregateFunction } from '../../operators/keyed/fold.js';
import type { KeyedProcessFunction } from '../../operators/keyed/process.js';
import type { KeyedCoProcessFunction } from '../../operators/keyed/co-process.js';
import type { IntervalJoinFunction } from '../../operators/keyed/interval-join.js';
import type { DiscardOptions } from '../../operators/sinks/discard.js';
import type { FileSinkOptions } from '../../operators/sinks/file.js';
import type { WatermarkStrategy } from '../../operators/time/watermarks.js';
import type { WindowAssigner } from '../../operators/windows/assigners.js';
import type { ProcessWindowFunction, WindowAggregateFunction, WindowResult } from '../../operators/windows/functions.js';

/** What a keyed process function's stream carries: what it returned or emitted, never the undefined of "nothing this time". */
export type ProcessOutput<R> = [R] extends [void] ? never : Exclude<R, undefined | void>;

/** The settings of the operator behind a stream or a sink. */
export interface OperatorSettings {
  /** Sets this operator's parallelism. */
  setParallelism(n: number): this;
  /** Renames this operator (names appear in errors and statistics). */
  name(name: string): this;
  /** Runs this operator in an actor of its own: chained neither to its predecessor nor its successor. */
  disableChaining(): this;
  /** Starts a new chain at this operator; its successors may still chain to it. */
  startNewChain(): this;
}

/** The end of a stream: a sink, which emits nothing. */
export type DataStreamSink = OperatorSettings;

/** A stream of records of type T produced by one operator. */
export interface DataStream<T> extends OperatorSettings {
  /** One output record per input record. */
  map<R>(fn: (record: T) => R, name?: string): DataStream<R>;
  /** Keeps the records for which fn returns true; a type guard narrows the stream's type. */
  filter<S extends T>(fn: (record: T) => record is S, name?: string): DataStream<S>;
  /** Keeps the records for which fn returns true. */
  filter(fn: (record: T) => boolean, name?: string): DataStream<T>;
  /** This stream and others of the same type as one: the next operator reads them all. */
  union(...others: DataStream<T>[]): DataStream<T>;
  /** This stream and another, for a two-input operator: keyBy both, then process with a function per input. */
  connect<B>(other: DataStream<B>): ConnectedStreams<T, B>;
  /** A window join with another stream: `.where(keyA).equalTo(keyB).window(assigner).apply((a, b) => …)`. */
  join<B>(other: DataStream<B>): JoinedStreams<T, B>;
  /** Zero or more output records per input record. */
  flatMap<R>(fn: (record: T) => Iterable<R> | undefined | void, name?: string): DataStream<R>;
  /** An operator of your own: a new one per subtask, from `create`; after keyBy its state is keyed by each record's key. */
  transform<R>(create: () => StreamOperator<T, R>, name?: string): DataStream<R>;
  /**
   * Gives each record its event time and the stream watermarks that trail the highest time seen
   * by `maxOutOfOrdernessMs` (chained to the source when right after it, as in Flink).
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>, name?: string): DataStream<T>;
  /** Partitions by key: records with equal keys reach the same subtask and share state. */
  keyBy<K extends StateKey>(selector: (record: T) => K): KeyedStream<T, K>;
  /** Distributes records round-robin over the next operator's subtasks. */
  rebalance(): DataStream<T>;
  /** Sends every record to every subtask of the next operator. */
  broadcast(): DataStream<T>;
  /** Sends records to the next operator's subtask of the same index (equal parallelism). */
  forward(): DataStream<T>;
  /** Prints every record on stdout (or to `target` in single-thread runs). */
  print(name?: string, target?: Writable): DataStreamSink;
  /** Returns every record to the caller of execute(), under this sink's name. */
  collect(name?: string): DataStreamSink;
  /** Writes records to part files in a folder, as CSV or JSON lines, exactly once. */
  sinkToFile(dir: string, options?: FileSinkOptions, name?: string): DataStreamSink;
  /** Drops every record (optionally slowly). */
  discard(options?: DiscardOptions, name?: string): DataStreamSink;
  /** A sink of your own: a new operator per subtask, from `create`. */
  sinkTo(create: () => StreamOperator<T, never>, name?: string): DataStreamSink;
}

/** A stream partitioned by key K; the operators after it have keyed state, scoped to each record's key. */
export interface KeyedStream<T, K extends StateKey = StateKey> extends DataStream<T> {
  /**
   * Calls fn per record with its key, keyed state, timers and an emitter. What fn returns
   * (unless undefined) is emitted, so its output type is inferred from the return; a function
   * that emits through ctx.emit names its output type: `process<Out>(…)`. With timers, fn is an
   * object: `{ processElement(record, ctx), onTimer(time, ctx) }`.
   */
  process<R = never, E extends R = R>(fn: KeyedProcessFunction<T, K, R, E>, name?: string): DataStream<ProcessOutput<R>>;
  /** Emits the running reduction of each key's records. */
  reduce(fn: (a: T, b: T) => T, name?: string): DataStream<T>;
  /** Emits the running aggregate of each key's records. */
  aggregate<A, R>(fn: AggregateFunction<T, A, R>, name?: string): DataStream<R>;
  /** Puts each key's records into event-time windows: tumbling(size), sliding(size, slide) or session(gap). */
  window(assigner: WindowAssigner): WindowedStream<T, K>;
  /** Joins each record with the other stream's records of its key whose event time is within an interval of its own. */
  intervalJoin<B>(other: KeyedStream<B, K>): IntervalJoin<T, B, K>;
}

/** Two streams connected for a two-input operator. */
export interface ConnectedStreams<A, B> {
  /** Keys both inputs alike: records of either with equal keys meet in one subtask and share its state and timers. */
  keyBy<K extends StateKey>(keyA: (record: A) => K, keyB: (record: B) => K): ConnectedKeyedStreams<A, B, K>;
}

/** Two streams keyed alike, for a keyed two-input process function. */
export interface ConnectedKeyedStreams<A, B, K extends StateKey> {
  /** Calls processElement1 per record of the first stream and processElement2 per record of the second, with shared keyed state and timers. */
  process<R = never, E extends R = R>(fn: KeyedCoProcessFunction<A, B, K, R, E>, name?: string): DataStream<ProcessOutput<R>>;
}

/** A window join being described: first the left key. */
export interface JoinedStreams<A, B> {
  where<K extends StateKey>(keyA: (record: A) => K): JoinWhere<A, B, K>;
}

/** A window join being described: the right key. */
export interface JoinWhere<A, B, K extends StateKey> {
  equalTo(keyB: (record: B) => K): JoinEqualTo<A, B, K>;
}

/** A window join being described: the windows both sides share. */
export interface JoinEqualTo<A, B, K extends StateKey> {
  window(assigner: WindowAssigner): JoinWindowed<A, B, K>;
}

/** A window join: every pair of a key's left and right records in one window. */
export interface JoinWindowed<A, B, K extends StateKey> {
  /** Emits fn(left, right) for every such pair, when the window fires. */
  apply<R>(fn: (left: A, right: B, key: K) => R, name?: string): DataStream<R>;
}

/** An interval join being described: the interval. */
export interface IntervalJoin<A, B, K extends StateKey> {
  /** A left record at t meets the right records of its key at times in [t + lowerMs, t + upperMs]. */
  between(lowerMs: number, upperMs: number): IntervalJoined<A, B, K>;
}

/** An interval join: its function runs for every pair that meets. */
export interface IntervalJoined<A, B, K extends StateKey> {
  process<R = never, E extends R = R>(fn: IntervalJoinFunction<A, B, K, R, E>, name?: string): DataStream<ProcessOutput<R>>;
}

/** A keyed stream in windows, waiting for the function that turns each window into results. */
export interface WindowedStream<T, K extends StateKey> {
  /** Keeps a fired window this long past its end, firing it again on each late record; later ones are late. */
  allowedLateness(ms: number): this;
  /** The records too late for every window they belong to (instead of dropping and counting them). */
  sideOutputLateData(): DataStream<T>;
  /** One accumulator per key and window; emits `{ key, start, end, value }` when the window fires. Sessions need `merge`. */
  aggregate<A, R>(fn: WindowAggregateFunction<T, A, R>, name?: string): DataStream<WindowResult<K, R>>;
  /** The reduction of each key's window; emits `{ key, start, end, value }` when the window fires. */
  reduce(fn: (a: T, b: T) => T, name?: string): DataStream<WindowResult<K, T>>;
  /** Calls fn with every record of a window when it fires; what it returns or collects is emitted. */
  process<R = never, E extends R = R>(fn: ProcessWindowFunction<T, K, R, E>, name?: string): DataStream<ProcessOutput<R>>;
}
