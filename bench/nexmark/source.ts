/**
 * The Nexmark source: subtask i of p emits events i, i + p, … in order, and records where each
 * of its shares of the stream goes on. A restore hands a subtask the shares of the former
 * subtasks it takes over, which it merges in event order, so the stream continues exactly at
 * any parallelism. Each event gets its time and the stream watermarks 4 s behind the newest
 * time, as the benchmark's table definition says.
 */
import type { Clock, Collector, DataStream, OperatorContext, SourceDefinition, SourceReader, SourceSplitState, StreamEnvironment } from '../../runtime/index.js';
import { ConfigError } from '../../runtime/index.js';
import { Pacer } from '../../base/pacer.js';
import { NexmarkGenerator, nexmarkConfig, type NexmarkOptions } from './generator.js';
import { eventTime, type NexmarkEvent } from './model.js';

/** A share of the stream: the events next, next + stride, … below the event count. */
export interface NexmarkSplit {
  next: number;
  stride: number;
}

/** How far the watermark trails the newest event time. */
export const WATERMARK_DELAY_MS = 4000;

/** The shares of the stream in the positions of restored former subtasks; ConfigError names a malformed one. */
function restoredSplits(restored: readonly SourceSplitState[]): NexmarkSplit[] {
  const out: NexmarkSplit[] = [];
  for (const s of restored) {
    const position: unknown = s?.position;
    const ok = Array.isArray(position) && position.every((p: unknown) => {
      const { next, stride } = (p ?? {}) as Record<string, unknown>;
      return Number.isSafeInteger(next) && Number.isSafeInteger(stride) && (next as number) >= 0 && (stride as number) >= 1;
    });
    if (!ok) throw new ConfigError('restored', `position of former subtask ${String(s?.subtask)} must be an array of { next, stride } shares of the Nexmark stream, got ${JSON.stringify(position)}`);
    for (const { next, stride } of position as NexmarkSplit[]) out.push({ next, stride });
  }
  return out;
}

/** Reads one subtask's shares of the stream. */
export class NexmarkReader implements SourceReader<NexmarkEvent> {
  private readonly generator: NexmarkGenerator;
  private readonly splits: NexmarkSplit[];
  /** The schedule of this subtask's share of the throttle; null when not throttled. */
  private readonly pacer: Pacer | null;
  private clock: Clock | undefined;

  constructor(options: NexmarkOptions, subtask: number, parallelism: number, restored?: SourceSplitState[]) {
    const config = nexmarkConfig(options);
    this.generator = new NexmarkGenerator(config);
    this.pacer = config.throttle === undefined ? null : new Pacer(config.throttle / parallelism / 1000);
    const splits = restored === undefined ? [{ next: subtask, stride: parallelism }] : restoredSplits(restored);
    this.splits = splits.filter((s) => s.next < config.events);
  }

  open(ctx: OperatorContext): void {
    this.clock = ctx.clock;
  }

  poll(max: number, out: Collector<NexmarkEvent>): boolean | Promise<boolean> {
    const pacer = this.pacer;
    if (pacer === null || this.splits.length === 0) return this.emit(max, out);
    const clock = this.clock!;
    const now = clock.now();
    const due = pacer.due(now);
    if (due > 0) return this.emit(Math.min(max, due), out);
    return clock.sleep(pacer.waitMs(now)).then(() => this.emit(1, out));
  }

  private emit(max: number, out: Collector<NexmarkEvent>): boolean {
    const { events } = this.generator.config;
    const splits = this.splits;
    let count = 0;
    while (count < max && splits.length > 0) {
      // The share with the lowest next event goes first, up to where another share takes over.
      let head = splits[0]!;
      for (const o of splits) if (o.next < head.next) head = o;
      let until = events;
      for (const o of splits) {
        // Shares that overlap (only a hand-made position has them) emit a common event once.
        if (o !== head && o.next === head.next) o.next += o.stride;
        if (o !== head && o.next < until) until = o.next;
      }
      for (; count < max && head.next < until; count++) {
        const n = head.next;
        // Advanced before collect, so that position() is right even if a downstream operator throws.
        head.next = n + head.stride;
        out.collect(this.generator.event(n));
      }
      for (let i = splits.length - 1; i >= 0; i--) if (splits[i]!.next >= events) splits.splice(i, 1);
    }
    this.pacer?.emitted(count);
    return splits.length > 0;
  }

  position(): NexmarkSplit[] {
    return this.splits.map((s) => ({ next: s.next, stride: s.stride })).sort((a, b) => a.next - b.next || a.stride - b.stride);
  }
}

/** The source definition, for env.addSource. */
export function nexmarkSource(options: NexmarkOptions): SourceDefinition<NexmarkEvent> {
  nexmarkConfig(options);
  return { createReader: (subtask, parallelism, restored) => new NexmarkReader(options, subtask, parallelism, restored) };
}

/** The Nexmark stream of a job, with event times and watermarks. */
export function nexmarkStream(env: StreamEnvironment, options: NexmarkOptions): DataStream<NexmarkEvent> {
  return env.addSource('Source: Nexmark', nexmarkSource(options))
    .assignTimestampsAndWatermarks({ timestamp: eventTime, maxOutOfOrdernessMs: WATERMARK_DELAY_MS });
}
