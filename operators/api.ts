/**
 * What an operator, a source reader and a sink see of the runtime. Operators are
 * instantiated inside the actor that runs them, on its own thread.
 */
import type { Clock } from '../base/clock.js';
import type { KeyedStateBackend } from '../backends/state.js';

/** What an operator may tell the job coordinator. */
export type OperatorMessage =
  /** Records of a collect sink; `epoch` is the id of the last checkpoint barrier the sink had passed. */
  | { kind: 'collect'; sink: string; records: unknown[]; epoch: number }
  /** Asks for a checkpoint now, outside the interval (benchmarks pace their rounds with it). */
  | { kind: 'request-checkpoint' };

/** Receives the records an operator emits. */
export interface Collector<T = unknown> {
  collect(record: T): void;
}

/** Where an operator's output goes: its records, and the event-time signals it passes on. */
export interface Output<T = unknown> extends Collector<T> {
  /** Passes a watermark on: no record with an earlier event time follows from this operator. */
  emitWatermark(time: number): void;
  /** Passes on that this operator's output went idle (emits nothing for now), or is active again. */
  emitStatus(idle: boolean): void;
  /** Emits a record to the side output `tag` (a window's late data, say). */
  emitSide(tag: string, record: unknown): void;
}

/** The event time of the record being processed, shared by the operators of one actor. */
export interface ElementTime {
  /** NaN when the record has none. What an operator emits carries this time, unless the operator sets another first. */
  timestamp: number;
}

/** Time as one operator sees it: the watermarks it was given, and processing time to schedule work on. */
export interface OperatorTime {
  /** The latest watermark this operator was given (−∞ before the first). */
  watermark(): number;
  /** Processing time: the injected clock's milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once processing time reaches `time`, on the actor's thread and never in the middle of a record. */
  schedule(time: number, fn: () => void): { cancel(): void };
}

/** The runtime facilities available to an operator subtask. */
export interface OperatorContext {
  /** Display name of the operator, used in errors and statistics. */
  operatorName: string;
  /** Zero-based index of this subtask. */
  subtask: number;
  parallelism: number;
  maxParallelism: number;
  clock: Clock;
  /** Sends a message to the job coordinator (the collect sink uses it). */
  toCoordinator(msg: OperatorMessage): void;
  /** Keyed state of this subtask; present for operators after keyBy. */
  keyedState?: KeyedStateBackend;
  /** Counters and figures reported in the actor's statistics. */
  metrics: Record<string, unknown>;
  /** Present when the job resumed from a checkpoint or savepoint. */
  restored?: RestoreContext;
  /** True when the job takes checkpoints: sinks then commit output on checkpoint completion. */
  checkpointing?: boolean;
  /** Where this operator's output goes when it emits outside process(): from a timer, on a watermark. */
  output: Output;
  /** The event time of the record being processed. */
  element: ElementTime;
  /** Watermarks and processing time. */
  time: OperatorTime;
}

/** What a subtask of a resumed job learns about the checkpoint it resumed from. */
export interface RestoreContext {
  /** Id of the checkpoint or savepoint restored; later checkpoint ids are higher. */
  checkpointId: number;
  /** Parallelism of this operator when that checkpoint was taken. */
  previousParallelism: number;
  /**
   * Former subtasks whose non-keyed work this subtask takes over: every k below
   * previousParallelism with k mod parallelism = subtask, and always the subtask itself,
   * whose own earlier output (e.g. files of a failed attempt) it settles. Just [subtask]
   * when the parallelism is unchanged.
   */
  inheritedSubtasks: number[];
}

/** The position one source subtask recorded in a checkpoint, handed back on restore. */
export interface SourceSplitState {
  /** The subtask that recorded it, and the source's parallelism then. */
  subtask: number;
  parallelism: number;
  /** What the reader's position() returned at the barrier. */
  position: unknown;
}

/** One operator of a chain, taking records of type I and emitting records of type O: map, filter, a keyed process function, a sink… */
export interface StreamOperator<I = unknown, O = unknown> {
  open(ctx: OperatorContext): void | Promise<void>;
  /** Processes one record; the hot path, so it stays synchronous. */
  process(record: I, out: Collector<O>): void;
  /** A two-input operator's records of its second input (connect, joins); the first goes to process. */
  process2?(record: unknown, out: Collector<O>): void;
  /** A promise while the operator cannot accept more input (e.g. a slow disk write). */
  blocked?(): Promise<void> | null;
  /** Called once after the last record: emit what is left, flush buffers. */
  finish?(out: Output<O>): void | Promise<void>;
  /**
   * The watermark of the operator's input advanced to `time`: fire what is due, then pass a
   * watermark on with out.emitWatermark. Without this method the watermark is passed on as it is.
   */
  processWatermark?(time: number, out: Output<O>): void;
  /** The operator's input went idle or became active again; passed on as it is without this method. */
  processStatus?(idle: boolean, out: Output<O>): void;
  /** Releases resources; called on success and on failure. */
  close?(): void | Promise<void>;
  /**
   * The barrier of checkpoint `id` reached this operator; everything processed so far belongs
   * to it. Called before the keyed state snapshot and before the barrier goes downstream. A
   * returned promise (a sink flushing a pending file) is awaited before the subtask
   * acknowledges the checkpoint, while records keep flowing.
   */
  snapshotState?(id: number): void | Promise<void>;
  /** Checkpoint `id` completed: what it covers is durable (the hook of exactly-once sinks). */
  notifyCheckpointComplete?(id: number): void;
}

/** A source of records of type T: one reader per source subtask. */
export interface SourceDefinition<T = unknown> {
  /**
   * A reader for one subtask. On restore, `restored` lists the positions of the former
   * subtasks this one takes over (possibly none after scaling up); the reader must resume
   * exactly after them and read nothing else.
   */
  createReader(subtask: number, parallelism: number, restored?: SourceSplitState[]): SourceReader<T>;
  /** Sources that cannot be split (a single file, a collection) allow only 1. */
  maxParallelism?: number;
}

/** Reads a source split of records of type T for one source subtask. */
export interface SourceReader<T = unknown> {
  open(ctx: OperatorContext): void | Promise<void>;
  /**
   * Emits at most `max` records into `out`. Resolves to false once the source is exhausted.
   * Records must be emitted synchronously within the call so that position() afterwards
   * describes exactly what has been emitted.
   */
  poll(max: number, out: Collector<T>): boolean | Promise<boolean>;
  /** Where reading would resume after the records emitted so far (stored in checkpoints). */
  position(): unknown;
  close?(): void | Promise<void>;
  /** Checkpoint `id` completed, so the records before its barrier are durable. */
  notifyCheckpointComplete?(id: number): void;
  /** Checkpoint `id` was aborted (declined, timed out, or failed to store): it will never complete. */
  notifyCheckpointAborted?(id: number): void;
}
