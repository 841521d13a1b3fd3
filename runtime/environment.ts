/**
 * The job API: a Flink-like fluent builder over a JobGraph, e.g.
 * `env.fromCsv({ path }).keyBy(r => r.customer_id).process(fn).print()`.
 */
import { JobGraph, type GraphNode, type JobConfig, type KeySelector, type OperatorSpec, type Partitioning, type SourceSpec } from './graph.js';
import { ConfigError } from './errors.js';
import type { Collector, SourceReader, SourceSplitState, StreamOperator } from '../operators/api.js';
import { FilterOperator, FlatMapOperator, MapOperator } from '../operators/basic.js';
import { AggregateOperator, KeyedProcessOperator, ReduceOperator, type AggregateFunction, type KeyedProcessFunction } from '../operators/keyed.js';
import { CollectionReader } from '../operators/sources/collection.js';
import { CsvReader, type CsvSourceOptions } from '../operators/sources/csv.js';
import { GeneratorReader, type GeneratorOptions, type Transaction } from '../operators/sources/generator.js';
import { PrintSink } from '../operators/sinks/print.js';
import { CollectSink } from '../operators/sinks/collect.js';
import { FileSink, type FileSinkOptions } from '../operators/sinks/file.js';
import { DiscardSink, type DiscardOptions } from '../operators/sinks/discard.js';
import type { Writable } from 'node:stream';

/** Checks that a parallelism value is a positive integer. */
export function checkParallelism(option: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(option, `must be a positive integer, got ${n}`);
  return n;
}

/** The one restored position of a source that cannot be split. */
function singleSplit(name: string, restored: SourceSplitState[]): unknown {
  if (restored.length !== 1) throw new ConfigError(`source "${name}"`, `reads one split but was given ${restored.length} to restore`);
  return restored[0].position;
}

/** Entry point of the job API: creates sources and holds job-wide settings. */
export class StreamEnvironment {
  /** The graph being built. */
  readonly graph: JobGraph;
  private readonly sinkNames = new Set<string>();

  constructor(config: Partial<JobConfig> = {}) {
    this.graph = new JobGraph({ parallelism: 1, chaining: true, ...config });
  }

  /** Default parallelism of every operator that does not set its own. */
  setParallelism(n: number): this {
    this.graph.config.parallelism = checkParallelism('parallelism', n);
    return this;
  }

  /** Number of key groups: the upper bound for rescaling keyed state. */
  setMaxParallelism(n: number): this {
    this.graph.config.maxParallelism = checkParallelism('maxParallelism', n);
    return this;
  }

  /** Runs every operator in its own actor instead of fusing forward-connected ones. */
  disableOperatorChaining(): this {
    this.graph.config.chaining = false;
    return this;
  }

  /** Adds a custom source. */
  addSource<T>(name: string, spec: Omit<SourceSpec, 'kind'>): DataStream<T> {
    return new DataStream<T>(this, this.graph.addNode(name, { kind: 'source', ...spec }));
  }

  /** Emits the items of an array (parallelism 1). */
  fromCollection<T>(items: readonly T[], name = 'Source: Collection'): DataStream<T> {
    return this.addSource<T>(name, { createReader: (_i, _p, restored) => new CollectionReader(items, restored ? (singleSplit(name, restored) as number) : 0), maxParallelism: 1 });
  }

  /** Streams a CSV file with a header line (parallelism 1). */
  fromCsv<T = Record<string, unknown>>(options: CsvSourceOptions, name = `Source: CSV ${options.path}`): DataStream<T> {
    return this.addSource<T>(name, {
      createReader: (_i, _p, restored) => new CsvReader(restored ? { ...options, startAt: singleSplit(name, restored) as CsvSourceOptions['startAt'] } : options),
      maxParallelism: 1,
    });
  }

  /** Generates deterministic synthetic transactions, split over the source's subtasks. */
  fromGenerator(options: GeneratorOptions, name = 'Source: Generator'): DataStream<Transaction> {
    return this.addSource<Transaction>(name, { createReader: (i, p, restored) => new GeneratorReader(options, i, p, restored) });
  }

  /** Registers a sink name; collect results are keyed by it, so it must be unique. */
  claimSinkName(name: string): string {
    if (this.sinkNames.has(name)) throw new ConfigError('sink name', `"${name}" is used by two sinks`);
    this.sinkNames.add(name);
    return name;
  }
}

/** A stream of records produced by one operator. */
export class DataStream<T> {
  constructor(
    protected readonly env: StreamEnvironment,
    /** The node producing this stream. */
    readonly node: GraphNode,
    protected readonly partitioning?: Partitioning,
    protected readonly keySelector?: KeySelector,
  ) {}

  /** Sets this operator's parallelism. */
  setParallelism(n: number): this {
    this.node.parallelism = checkParallelism(`parallelism of "${this.node.name}"`, n);
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

  /** Adds an operator consuming this stream. */
  transform<R>(name: string, spec: OperatorSpec, isSink = false): DataStream<R> {
    const node = this.env.graph.addNode(name, spec, isSink);
    this.env.graph.connect({ from: this.node.id, to: node.id, partitioning: this.partitioning, keySelector: this.keySelector });
    return new DataStream<R>(this.env, node);
  }

  private op<R>(name: string, create: () => StreamOperator, isSink = false): DataStream<R> {
    return this.transform<R>(name, { kind: 'operator', createOperator: create }, isSink);
  }

  /** One output record per input record. */
  map<R>(fn: (record: T) => R, name = 'Map'): DataStream<R> {
    return this.op(name, () => new MapOperator(fn));
  }

  /** Keeps the records for which fn returns true. */
  filter(fn: (record: T) => boolean, name = 'Filter'): DataStream<T> {
    return this.op(name, () => new FilterOperator(fn));
  }

  /** Zero or more output records per input record. */
  flatMap<R>(fn: (record: T) => Iterable<R> | undefined | void, name = 'FlatMap'): DataStream<R> {
    return this.op(name, () => new FlatMapOperator(fn));
  }

  /** Partitions by key: records with equal keys reach the same subtask and share state. */
  keyBy(selector: (record: T) => string | number): KeyedStream<T> {
    return new KeyedStream<T>(this.env, this.node, 'hash', selector);
  }

  /** Distributes records round-robin over the next operator's subtasks. */
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.env, this.node, 'rebalance');
  }

  /** Sends every record to every subtask of the next operator. */
  broadcast(): DataStream<T> {
    return new DataStream<T>(this.env, this.node, 'broadcast');
  }

  /** Sends records to the next operator's subtask of the same index (equal parallelism). */
  forward(): DataStream<T> {
    return new DataStream<T>(this.env, this.node, 'forward');
  }

  /** Prints every record on stdout (or to `target` in single-thread runs). */
  print(name = 'Sink: Print', target?: Writable): DataStream<never> {
    return this.op(this.env.claimSinkName(name), () => new PrintSink(target), true);
  }

  /** Returns every record to the caller of execute(), under this sink's name. */
  collect(name = 'collect'): DataStream<never> {
    const sink = this.env.claimSinkName(name);
    return this.op(sink, () => new CollectSink(sink), true);
  }

  /** Writes records to part files in a folder, as CSV or JSON lines. */
  sinkToFile(dir: string, options: FileSinkOptions = {}, name = `Sink: File ${dir}`): DataStream<never> {
    return this.op(this.env.claimSinkName(name), () => new FileSink(dir, options), true);
  }

  /** Drops every record (optionally slowly, optionally measuring latency). */
  discard(options: DiscardOptions = {}, name = 'Sink: Discard'): DataStream<never> {
    return this.op(this.env.claimSinkName(name), () => new DiscardSink(options), true);
  }
}

/** A stream partitioned by key; its operators have keyed state. */
export class KeyedStream<T> extends DataStream<T> {
  private keyed<R>(name: string, create: () => StreamOperator): DataStream<R> {
    return this.transform<R>(name, { kind: 'operator', createOperator: create, keySelector: this.keySelector });
  }

  /** Calls fn per record with keyed state and an emitter. */
  process<R>(fn: KeyedProcessFunction<T, R>, name = 'KeyedProcess'): DataStream<R> {
    return this.keyed(name, () => new KeyedProcessOperator(this.keySelector!, fn));
  }

  /** Emits the running reduction of each key's records. */
  reduce(fn: (a: T, b: T) => T, name = 'Reduce'): DataStream<T> {
    return this.keyed(name, () => new ReduceOperator(this.keySelector!, fn));
  }

  /** Emits the running aggregate of each key's records. */
  aggregate<A, R>(fn: AggregateFunction<T, A, R>, name = 'Aggregate'): DataStream<R> {
    return this.keyed(name, () => new AggregateOperator(this.keySelector!, fn));
  }
}

/** Re-export for job modules that implement their own operators. */
export type { Collector, SourceReader, StreamOperator };
