/**
 * The stream behind DataStream: each method adds an operator to the job's graph, consuming this
 * stream over its edge (partitioning, key selector, side output), and hands back the stream of
 * what that operator emits. Streams of other kinds come from the builder's stream factory, so
 * that this file needs none of them.
 */
import type { Writable } from 'node:stream';
import { ConfigError } from '../../base/errors.js';
import type { KeySelector, StateKey } from '../../base/keygroups.js';
import { positiveInteger } from '../../base/validate.js';
import type { StreamOperator } from '../../operators/api.js';
import { FilterOperator, FlatMapOperator, MapOperator } from '../../operators/basic.js';
import { KeyedCustomOperator } from '../../operators/keyed/custom.js';
import { CollectSink } from '../../operators/sinks/collect.js';
import { DiscardSink, type DiscardOptions } from '../../operators/sinks/discard.js';
import { FileSink, type FileSinkOptions } from '../../operators/sinks/file.js';
import { PrintSink } from '../../operators/sinks/print.js';
import {
  checkWatermarkStrategy, DEFAULT_WATERMARK_INTERVAL_MS, TimestampsAndWatermarksOperator, type WatermarkStrategy,
} from '../../operators/time/watermarks.js';
import type { GraphNode, Partitioning } from '../plan/graph.js';
import { overEdge, type JobBuilder, type StreamEdge, type StreamInput } from './builder.js';
import type { ConnectedStreams, DataStream, DataStreamSink, JoinedStreams, KeyedStream, OperatorSettings } from './types.js';

/** A job module written in JavaScript may pass anything; a factory that is not a function fails the build, naming the operator. */
export function checkFactory(create: unknown, name: string): void {
  if (typeof create !== 'function') throw new ConfigError(`operator "${name}"`, `expects a function that creates the operator, got ${create === null ? 'null' : typeof create}`);
}

/** The producers of a stream of this job (`what` names the method in a refusal). */
export function inputsOf<T>(stream: DataStream<T>, builder: JobBuilder, what: string): StreamInput[] {
  if (!(stream instanceof DataStreamImpl)) throw new ConfigError(what, 'expects a stream of this job');
  if ((stream as DataStreamImpl<T>).builder !== builder) throw new ConfigError(what, 'the streams belong to different jobs');
  return (stream as DataStreamImpl<T>).inputs;
}

/** The settings of the operator behind a stream or a sink; a union of streams has no operator of its own. */
export class StreamSettings implements OperatorSettings {
  constructor(readonly builder: JobBuilder, private readonly own: GraphNode | null) {}

  private node(what: string): GraphNode {
    if (this.own === null) throw new ConfigError(what, 'a union of streams has no operator of its own: set this on the streams before the union, or on the operator after it');
    return this.own;
  }

  setParallelism(n: number): this {
    const node = this.node('setParallelism');
    node.parallelism = positiveInteger(`parallelism of "${node.name}"`, n);
    return this;
  }

  name(name: string): this {
    this.node('name').name = name;
    return this;
  }

  disableChaining(): this {
    this.node('disableChaining').chaining = 'never';
    return this;
  }

  startNewChain(): this {
    this.node('startNewChain').chaining = 'new-chain';
    return this;
  }
}

/** A stream of records of type T produced by one operator (or by several: a union). */
export class DataStreamImpl<T> extends StreamSettings implements DataStream<T> {
  constructor(builder: JobBuilder, readonly inputs: StreamInput[]) {
    super(builder, inputs.length === 1 ? inputs[0].node : null);
  }

  /** The stream's records travelling over `edge` instead, from each of its producers. */
  protected over(edge: StreamEdge): StreamInput[] {
    return overEdge(this.inputs, edge);
  }

  /** Adds an operator consuming this stream; with a key selector it has keyed state. */
  protected append<R>(name: string, create: () => StreamOperator<T, R>, keySelector?: KeySelector): DataStream<R> {
    const spec = { kind: 'operator' as const, createOperator: create as () => StreamOperator, keySelector };
    return this.builder.streams.data<R>(this.builder, [{ node: this.builder.addOperator(this.inputs, name, spec), edge: {} }]);
  }

  private sink(name: string, create: () => StreamOperator<T, never>): DataStreamSink {
    const spec = { kind: 'operator' as const, createOperator: create as () => StreamOperator };
    return new StreamSettings(this.builder, this.builder.addOperator(this.inputs, name, spec, true));
  }

  private repartitioned(partitioning: Partitioning): DataStream<T> {
    return this.builder.streams.data<T>(this.builder, this.over({ partitioning }));
  }

  union(...others: DataStream<T>[]): DataStream<T> {
    const inputs = [...this.inputs];
    for (const o of others) inputs.push(...inputsOf(o, this.builder, 'union'));
    return this.builder.streams.data<T>(this.builder, inputs);
  }

  connect<B>(other: DataStream<B>): ConnectedStreams<T, B> {
    return this.builder.streams.connected<T, B>(this.builder, this.inputs, inputsOf(other, this.builder, 'connect'));
  }

  join<B>(other: DataStream<B>): JoinedStreams<T, B> {
    inputsOf(other, this.builder, 'join');
    return this.builder.streams.joined<T, B>(this, other);
  }

  map<R>(fn: (record: T) => R, name = 'Map'): DataStream<R> {
    return this.append(name, () => new MapOperator(fn));
  }

  filter<S extends T>(fn: (record: T) => record is S, name?: string): DataStream<S>;
  filter(fn: (record: T) => boolean, name?: string): DataStream<T>;
  filter(fn: (record: T) => boolean, name = 'Filter'): DataStream<T> {
    return this.append(name, () => new FilterOperator(fn));
  }

  flatMap<R>(fn: (record: T) => Iterable<R> | undefined | void, name = 'FlatMap'): DataStream<R> {
    return this.append(name, () => new FlatMapOperator(fn));
  }

  transform<R>(create: () => StreamOperator<T, R>, name = 'Transform'): DataStream<R> {
    checkFactory(create, name);
    const keySelector = this.inputs[0].edge.keySelector;
    if (keySelector === undefined) return this.append(name, create);
    return this.append<R>(name, () => new KeyedCustomOperator<T, R>(keySelector, create()), keySelector);
  }

  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>, name = 'Timestamps/Watermarks'): DataStream<T> {
    checkWatermarkStrategy(strategy as WatermarkStrategy<unknown>, name);
    const config = this.builder.graph.config;
    return this.append(name, () => new TimestampsAndWatermarksOperator<T>(strategy, config.autoWatermarkIntervalMs ?? DEFAULT_WATERMARK_INTERVAL_MS));
  }

  keyBy<K extends StateKey>(selector: (record: T) => K): KeyedStream<T, K> {
    if (typeof selector !== 'function') throw new ConfigError('keyBy', `expects a function returning each record's key, got ${typeof selector}`);
    return this.builder.streams.keyed<T, K>(this.builder, this.over({ partitioning: 'hash', keySelector: selector }));
  }

  rebalance(): DataStream<T> {
    return this.repartitioned('rebalance');
  }

  broadcast(): DataStream<T> {
    return this.repartitioned('broadcast');
  }

  forward(): DataStream<T> {
    return this.repartitioned('forward');
  }

  print(name = 'Sink: Print', target?: Writable): DataStreamSink {
    return this.sink(name, () => new PrintSink(target));
  }

  collect(name = 'collect'): DataStreamSink {
    return this.sink(name, () => new CollectSink(name));
  }

  sinkToFile(dir: string, options: FileSinkOptions = {}, name = `Sink: File ${dir}`): DataStreamSink {
    return this.sink(name, () => new FileSink(dir, options));
  }

  discard(options: DiscardOptions = {}, name = 'Sink: Discard'): DataStreamSink {
    return this.sink(name, () => new DiscardSink(options));
  }

  sinkTo(create: () => StreamOperator<T, never>, name = 'Sink'): DataStreamSink {
    checkFactory(create, name);
    return this.sink(name, create);
  }
}
