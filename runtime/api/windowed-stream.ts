/**
 * The stream behind WindowedStream: the window operator's node is added once its function is
 * known (or once its late records are asked for); a job that windows a stream and never says
 * what to compute fails when it is built, naming the operator.
 */
import { ConfigError } from '../../base/errors.js';
import type { StateKey } from '../../base/keygroups.js';
import { checkNumber } from '../../base/validate.js';
import type { WindowAssigner } from '../../operators/windows/assigners.js';
import type { ProcessWindowFunction, WindowAggregateFunction, WindowFunction, WindowResult } from '../../operators/windows/functions.js';
import { LATE_TAG, WindowOperator } from '../../operators/windows/window-operator.js';
import type { GraphNode } from '../plan/graph.js';
import type { JobBuilder, StreamInput } from './builder.js';
import type { DataStream, WindowedStream } from './types.js';

const KINDS: ReadonlySet<unknown> = new Set(['tumbling', 'sliding', 'session']);

/** A keyed stream in windows. */
export class WindowedStreamImpl<T, K extends StateKey> implements WindowedStream<T, K> {
  private latenessMs = 0;
  private lateToSideOutput = false;
  private fn: WindowFunction<T, K> | null = null;
  private node: GraphNode | null = null;

  /** `inputs` are hash-partitioned by the key selector already. */
  constructor(private readonly builder: JobBuilder, private readonly inputs: StreamInput[], private readonly assigner: WindowAssigner) {
    if (!KINDS.has(assigner?.kind)) throw new ConfigError('window', 'expects tumbling(sizeMs), sliding(sizeMs, slideMs) or session(gapMs)');
  }

  allowedLateness(ms: number): this {
    this.latenessMs = checkNumber('allowedLateness', ms, { min: 0 });
    return this;
  }

  sideOutputLateData(): DataStream<T> {
    this.lateToSideOutput = true;
    return this.builder.streams.data<T>(this.builder, [{ node: this.windowNode('Window'), edge: { tag: LATE_TAG } }]);
  }

  aggregate<A, R>(fn: WindowAggregateFunction<T, A, R>, name = 'Window'): DataStream<WindowResult<K, R>> {
    for (const m of ['createAccumulator', 'add', 'getResult'] as const) {
      if (typeof fn?.[m] !== 'function') throw new ConfigError(`operator "${name}"`, `an aggregate function needs ${m}()`);
    }
    const session = this.assigner.kind === 'session';
    if (session && typeof fn.merge !== 'function') throw new ConfigError(`operator "${name}"`, 'session windows merge, so their aggregate function needs merge(a, b)');
    return this.apply({ kind: 'aggregate', fn: fn as WindowAggregateFunction<T, unknown, unknown>, session }, name);
  }

  reduce(fn: (a: T, b: T) => T, name = 'Window'): DataStream<WindowResult<K, T>> {
    if (typeof fn !== 'function') throw new ConfigError(`operator "${name}"`, 'reduce expects a function (a, b) => reduced');
    return this.apply({ kind: 'reduce', fn }, name);
  }

  // Typed loosely here: users see WindowedStream's signature, whose output-type inference this need not repeat.
  process(fn: ProcessWindowFunction<T, K, unknown>, name = 'Window'): DataStream<never> {
    if (typeof fn !== 'function') throw new ConfigError(`operator "${name}"`, 'process expects a function (elements, window, out)');
    return this.apply({ kind: 'process', fn }, name);
  }

  private apply<R>(fn: WindowFunction<T, K>, name: string): DataStream<R> {
    if (this.fn !== null) throw new ConfigError(`operator "${name}"`, 'a windowed stream takes one function: aggregate, reduce or process');
    this.fn = fn;
    const node = this.windowNode(name);
    node.name = name;
    return this.builder.streams.data<R>(this.builder, [{ node, edge: {} }]);
  }

  /** The window operator's node, added on first use. */
  private windowNode(name: string): GraphNode {
    if (this.node !== null) return this.node;
    const keySelector = this.inputs[0].edge.keySelector!;
    // Read when each subtask creates its operator, after the job module set everything.
    const createOperator = () => new WindowOperator<T, K>(keySelector, {
      assigner: this.assigner, allowedLatenessMs: this.latenessMs, lateToSideOutput: this.lateToSideOutput, fn: this.fn!,
    });
    const node = this.builder.addOperator(this.inputs, name, { kind: 'operator', createOperator, keySelector });
    this.builder.checkWhenBuilt(() => {
      if (this.fn === null) throw new ConfigError(`operator "${node.name}"`, 'a window needs its function: call aggregate, reduce or process on the windowed stream');
    });
    this.node = node;
    return node;
  }
}
