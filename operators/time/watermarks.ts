/**
 * Event time for a stream: each record gets its timestamp from the user's function, and every
 * so often (Flink's auto-watermark interval, 200 ms by default) the subtask emits a watermark
 * that trails the highest timestamp seen by the allowed out-of-orderness, as Flink's
 * bounded-out-of-orderness strategy does. A subtask that sees no records for the idle timeout
 * goes idle, so that it holds no watermark back downstream. At the end of the input it emits
 * the final watermark, +∞.
 */
import { ConfigError, UserFunctionError, type ErrorOrigin } from '../../base/errors.js';
import { checkNumber } from '../../base/validate.js';
import type { Collector, ElementTime, OperatorContext, Output, StreamOperator } from '../api.js';
import { originOf } from '../basic.js';

/** How records get event times and the stream gets watermarks. */
export interface WatermarkStrategy<T> {
  /** The record's event time, in milliseconds. */
  timestamp(record: T): number;
  /** How late, behind the highest event time seen, a record may still arrive: the watermark trails by this much. */
  maxOutOfOrdernessMs: number;
  /** After this long without records the subtask goes idle and holds no watermark back; never when absent. */
  idleTimeoutMs?: number;
}

/** Flink's default auto-watermark interval. */
export const DEFAULT_WATERMARK_INTERVAL_MS = 200;

/** Throws a ConfigError naming the option of a strategy that cannot work. */
export function checkWatermarkStrategy(s: WatermarkStrategy<unknown>, operator: string): void {
  if (typeof s?.timestamp !== 'function') throw new ConfigError('timestamp', 'must be a function returning the record\'s event time', { operator });
  checkNumber('maxOutOfOrdernessMs', s.maxOutOfOrdernessMs, { min: 0 });
  if (s.idleTimeoutMs !== undefined) checkNumber('idleTimeoutMs', s.idleTimeoutMs, { min: 0, exclusive: true });
}

/** Assigns event times and emits watermarks for one subtask. */
export class TimestampsAndWatermarksOperator<T> implements StreamOperator<T, T> {
  private origin: ErrorOrigin = {};
  private element!: ElementTime;
  private output!: Output;
  private ctx!: OperatorContext;
  private maxTimestamp = -Infinity;
  private emitted = -Infinity;
  private sawRecords = false;
  private idle = false;
  private lastActive = 0;
  private tick: { cancel(): void } | null = null;

  constructor(private readonly strategy: WatermarkStrategy<T>, private readonly intervalMs: number) {}

  open(ctx: OperatorContext): void {
    this.origin = originOf(ctx);
    this.ctx = ctx;
    this.element = ctx.element;
    this.output = ctx.output;
    this.lastActive = ctx.time.now();
    this.schedule();
  }

  process(record: T, out: Collector<T>): void {
    let ts: number;
    try {
      ts = this.strategy.timestamp(record);
    } catch (err) {
      throw new UserFunctionError(this.origin, record, err);
    }
    if (typeof ts !== 'number' || !Number.isFinite(ts)) {
      throw new UserFunctionError(this.origin, record, new Error(`the timestamp function returned ${typeof ts === 'number' ? ts : typeof ts}, not a finite number of milliseconds`));
    }
    if (this.idle) {
      this.idle = false;
      this.output.emitStatus(false);
    }
    this.sawRecords = true;
    if (ts > this.maxTimestamp) this.maxTimestamp = ts;
    this.element.timestamp = ts;
    out.collect(record);
  }

  /** Upstream watermarks are replaced by this operator's own; only the final one (+∞) is passed on. */
  processWatermark(time: number, out: Output<T>): void {
    if (time === Infinity) this.emit(Infinity, out);
  }

  /** The input ended: every record has its time, so event time is complete. */
  finish(out: Output<T>): void {
    this.stop();
    this.emit(Infinity, out);
  }

  close(): void {
    this.stop();
  }

  private schedule(): void {
    this.tick = this.ctx.time.schedule(this.ctx.time.now() + this.intervalMs, () => this.onTick());
  }

  private onTick(): void {
    const now = this.ctx.time.now();
    if (this.sawRecords) {
      this.sawRecords = false;
      this.lastActive = now;
      this.emit(this.maxTimestamp - this.strategy.maxOutOfOrdernessMs - 1, this.output);
    } else if (!this.idle && this.strategy.idleTimeoutMs !== undefined && now - this.lastActive >= this.strategy.idleTimeoutMs) {
      this.idle = true;
      this.output.emitStatus(true);
    }
    this.schedule();
  }

  private emit(time: number, out: Output<T>): void {
    if (time <= this.emitted) return;
    this.emitted = time;
    out.emitWatermark(time);
  }

  private stop(): void {
    this.tick?.cancel();
    this.tick = null;
  }
}
