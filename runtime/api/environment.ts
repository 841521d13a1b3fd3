/**
 * The job API's entry point: a Flink-like environment whose sources start typed streams, e.g.
 * `env.fromCsv({ path, types: { amount: 'number' } }).keyBy((r) => r.customer_id).process(fn).print()`.
 */
import { ConfigError } from '../../base/errors.js';
import { checkNumber, positiveInteger } from '../../base/validate.js';
import type { SourceDefinition, SourceReader, SourceSplitState } from '../../operators/api.js';
import { CollectionReader } from '../../operators/sources/collection.js';
import { CsvReader, type CsvSourceOptions } from '../../operators/sources/csv.js';
import { GeneratorReader, type GeneratorOptions, type Transaction } from '../../operators/sources/generator.js';
import type { JobConfig, JobGraph } from '../plan/graph.js';
import { JobBuilder } from './builder.js';
import type { CsvOptionsFor, CsvRow, CsvTypesOf } from './csv-row.js';
import { STREAMS } from './streams.js';
import type { DataStream } from './types.js';

/** The one restored position of a source that cannot be split. */
function singleSplit(name: string, restored: SourceSplitState[]): unknown {
  if (restored.length !== 1) throw new ConfigError(`source "${name}"`, `reads one split but was given ${restored.length} to restore`);
  return restored[0].position;
}

let builderOf: (env: StreamEnvironment) => JobBuilder;

/** Entry point of the job API: creates sources and holds job-wide settings. */
export class StreamEnvironment {
  readonly #builder: JobBuilder;

  static {
    builderOf = (env) => env.#builder;
  }

  constructor(config: Partial<JobConfig> = {}) {
    this.#builder = new JobBuilder(config, STREAMS);
  }

  /** Default parallelism of every operator that does not set its own. */
  setParallelism(n: number): this {
    this.#builder.graph.config.parallelism = positiveInteger('parallelism', n);
    return this;
  }

  /** Number of key groups: the upper bound for rescaling keyed state. */
  setMaxParallelism(n: number): this {
    this.#builder.graph.config.maxParallelism = positiveInteger('maxParallelism', n);
    return this;
  }

  /** How often watermark generators emit a watermark, in milliseconds (default 200, as Flink's auto-watermark interval). */
  setAutoWatermarkInterval(ms: number): this {
    this.#builder.graph.config.autoWatermarkIntervalMs = checkNumber('autoWatermarkIntervalMs', ms, { min: 0, exclusive: true });
    return this;
  }

  /** Runs every operator in its own actor instead of fusing forward-connected ones. */
  disableOperatorChaining(): this {
    this.#builder.graph.config.chaining = false;
    return this;
  }

  /** Adds a source of your own. */
  addSource<T>(name: string, source: SourceDefinition<T>): DataStream<T> {
    if (typeof source?.createReader !== 'function') throw new ConfigError(`source "${name}"`, 'expects { createReader(subtask, parallelism, restored) }, a function creating each subtask\'s reader');
    const spec = { kind: 'source' as const, createReader: source.createReader.bind(source), maxParallelism: source.maxParallelism };
    return STREAMS.data<T>(this.#builder, [{ node: this.#builder.graph.addNode(name, spec), edge: {} }]);
  }

  /** Emits the items of an array (parallelism 1). */
  fromCollection<T>(items: readonly T[], name = 'Source: Collection'): DataStream<T> {
    return this.addSource<T>(name, {
      createReader: (_i, _p, restored) => new CollectionReader(items, restored ? (singleSplit(name, restored) as number) : 0) as SourceReader<T>,
      maxParallelism: 1,
    });
  }

  /**
   * Streams a CSV file with a header line, split into byte ranges over the source's subtasks.
   * Rows are typed by the options: the columns in `types` as their types, every other column
   * a string.
   */
  fromCsv<const O extends CsvSourceOptions>(options: O, name?: string): DataStream<CsvRow<CsvTypesOf<O>>>;
  /** Streams a CSV file into rows of type T; the options must give every field of T that is not a string its column type. */
  fromCsv<T extends object>(options: CsvOptionsFor<T>, name?: string): DataStream<T>;
  fromCsv(options: CsvSourceOptions, name = `Source: CSV ${options.path}`): DataStream<any> {
    return this.addSource(name, { createReader: (i, p, restored) => new CsvReader(options, i, p, restored) });
  }

  /** Generates deterministic synthetic transactions, split over the source's subtasks. */
  fromGenerator(options: GeneratorOptions, name = 'Source: Generator'): DataStream<Transaction> {
    return this.addSource<Transaction>(name, { createReader: (i, p, restored) => new GeneratorReader(options, i, p, restored) });
  }
}

/** The graph a job module built on `env` (for the runtime, which plans and runs it). */
export function graphOf(env: StreamEnvironment): JobGraph {
  return builderOf(env).built();
}
