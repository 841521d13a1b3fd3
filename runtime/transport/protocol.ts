/**
 * The wire protocol: every message that crosses a data channel or a control port.
 * Only the codec (codec.ts), used by the channels, turns data messages into bytes and back.
 */
import type { SubtaskCheckpointStats, SubtaskState } from '../storage/metadata.js';
import type { OperatorMessage } from '../../operators/api.js';
import type { SerializedError } from '../../base/errors.js';

/** A batch of records, in order. */
export interface BatchMessage {
  kind: 'batch';
  records: unknown[];
  /** Each record's event time (NaN for a record without one); absent when no record has one. */
  timestamps?: Float64Array;
  /** Bytes the batch took on the wire, set by the receiving channel (never sent). */
  bytes?: number;
}

/** Event time on this channel has reached `time`: no record with an earlier timestamp is expected any more. */
export interface WatermarkMessage {
  kind: 'watermark';
  time: number;
}

/** The producer has gone idle (sends no records for now), or is active again: an idle channel holds no watermark back. */
export interface WatermarkStatusMessage {
  kind: 'status';
  idle: boolean;
}

/** A checkpoint barrier; everything before it on a channel belongs to checkpoint `id`. */
export interface BarrierMessage {
  kind: 'barrier';
  id: number;
  timestamp: number;
  /** A savepoint barrier: the folder the savepoint is written to (taken on request, never deleted by retention). */
  savepoint?: string;
  /** The final checkpoint of a bounded job: nothing but end of input follows on this channel. */
  final?: boolean;
  /**
   * An unaligned barrier: it overtook the batches queued before it, which the checkpoint
   * keeps as channel state, and the receiver takes it as soon as it arrives.
   */
  unaligned?: boolean;
}

/**
 * A latency marker: a source subtask sends one every latency interval, stamped with the wall
 * time it left; it queues behind the records before it on every hop and skips the operators,
 * and the sink subtask it reaches measures how long it took.
 */
export interface LatencyMarkerMessage {
  kind: 'latency';
  emittedAt: number;
}

/** The producer on this channel will send nothing more. */
export interface EndOfInputMessage {
  kind: 'end';
}

/** What flows downstream on a data channel, in order. */
export type DataMessage = BatchMessage | BarrierMessage | WatermarkMessage | WatermarkStatusMessage | LatencyMarkerMessage | EndOfInputMessage;

/** The in-band events that are not records: they queue behind the batches before them. */
export type StreamEvent = BarrierMessage | WatermarkMessage | WatermarkStatusMessage | LatencyMarkerMessage | EndOfInputMessage;

/** Statistics an actor reports when it finishes. */
export interface ActorStats {
  operator: string;
  /** Index of the actor's chain in the plan. */
  chain: number;
  subtask: number;
  /** Worker thread id hosting the actor (0 on the main thread). */
  threadId: number;
  recordsIn: number;
  recordsOut: number;
  batchesIn: number;
  batchesOut: number;
  /** Milliseconds spent waiting for downstream credit. */
  backpressuredMs: number;
  /** Milliseconds spent handling input, or polling a source (Flink's busy time). */
  busyMs: number;
  /** Milliseconds neither busy nor backpressured: waiting for input. */
  idleMs: number;
  /** The three as Flink's metrics give them, milliseconds per second of the actor's run: they add up to 1000. */
  timeMsPerSecond: { busy: number; idle: number; backPressured: number };
  /** Largest number of batches any output channel had in flight (bounded by its credit). */
  maxInFlight: number;
  /** Wall-clock ms when the actor started processing (after opening its operators). */
  startedAt: number;
  /** Wall-clock ms when the actor had sent its last message downstream. */
  endedAt: number;
  /** Operator-specific figures (e.g. skipped CSV rows, latency samples). */
  metrics: Record<string, unknown>;
}

/**
 * An actor's running figures, sent every metrics interval while it runs and once more as it
 * finishes: counters since it started processing, and the latency of the markers a sink
 * subtask received since its previous report.
 */
export interface ActorMetricsReport {
  /** Wall-clock ms of the report. */
  at: number;
  /** Wall-clock ms since the actor started processing. */
  elapsedMs: number;
  recordsIn: number;
  recordsOut: number;
  busyMs: number;
  /** Backpressured time, the wait still going on included. */
  backPressuredMs: number;
  /** Alignment time of the last checkpoint the actor took part in (0 before the first). */
  checkpointAlignmentMs: number;
  /** The actor's input watermark (absent for sources and before the first watermark). */
  watermark?: number;
  /** Latency markers received since the previous report: an HDR histogram of microseconds, compressed and base64-encoded. */
  latency?: string;
}

/** Coordinator → actor. */
export type ControlToActor =
  | { kind: 'cancel'; reason: string }
  /** To source subtasks: emit barrier `id` now; `stop` ends the job after a savepoint. */
  | { kind: 'trigger'; id: number; timestamp: number; final: boolean; savepoint?: string; stop?: boolean }
  | { kind: 'checkpoint-complete'; id: number }
  | { kind: 'checkpoint-abort'; id: number; reason: string };

/** Actor → coordinator: an operator's messages, and the actor's own. */
export type ControlFromActor =
  | OperatorMessage
  /** The subtask restored its state before opening its operators. */
  | { kind: 'restored'; ms: number; bytes: number; handles: number }
  /** An armed failure injection fires now (sent before a hard exit, which sends nothing more). */
  | { kind: 'injected'; id: number }
  | { kind: 'finished'; stats: ActorStats }
  /** The actor's figures so far (every metrics interval, and once before `finished`). */
  | { kind: 'metrics'; report: ActorMetricsReport }
  /** The actor failed or was cancelled; `stats` are its figures up to then, when they could be taken. */
  | { kind: 'failed'; error: SerializedError; stats?: ActorStats }
  /** The subtask's snapshot for checkpoint `id` is written. */
  | { kind: 'ack'; id: number; state: SubtaskState; stats: SubtaskCheckpointStats }
  /** The subtask could not take its part in checkpoint `id`. */
  | { kind: 'decline'; id: number; reason: string }
  /** A source subtask has emitted its last record and waits for the final checkpoint. */
  | { kind: 'source-exhausted' }
  /** The actor opened its operators and processes records (checkpointing only waits for every actor to be running). */
  | { kind: 'running' };
