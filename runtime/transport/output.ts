/**
 * The output side of an actor: records are routed by each edge's partitioner into one
 * batch buffer per channel, each with its event time when it has one. A full batch is sent
 * if the channel has credit; otherwise it waits in that channel's backlog and the actor stops
 * taking input until credit returns. Events (barriers, watermarks, latency markers, end)
 * queue behind the batches before them. Records of a side output go only to the edges that
 * take that tag.
 */
import type { ElementTime, Output } from '../../operators/api.js';
import type { Clock } from '../../base/clock.js';
import type { OutputChannel } from './channel.js';
import type { BarrierMessage, BatchMessage, DataMessage, StreamEvent } from './protocol.js';
import { BROADCAST, type Partitioner } from './partitioners.js';

/** Batching, backlog and statistics of one output channel. */
class ChannelBuffer {
  records: unknown[] = [];
  /** Records per batch: the router's batch size, or less when the receiver asks for smaller batches. */
  limit: number;
  /** The records' event times, from the first record that had one (earlier ones NaN); null while none has. */
  timestamps: number[] | null = null;
  readonly backlog: DataMessage[] = [];

  constructor(readonly channel: OutputChannel, batchSize: number) {
    this.limit = batchSize;
  }
}

/** One outgoing edge: its partitioner and its channels in consumer-subtask order. */
export interface OutputEdge {
  partitioner: Partitioner;
  channels: OutputChannel[];
  /** The side output this edge takes; absent for the main output. */
  tag?: string;
}

interface RoutedEdge {
  partitioner: Partitioner;
  buffers: ChannelBuffer[];
}

/** Statistics of the output side. */
export interface OutputStats {
  recordsOut: number;
  batchesOut: number;
  maxInFlight: number;
  backpressuredMs: number;
}

/** Routes records to channels and holds batches back while a channel has no credit. */
export class OutputRouter implements Output {
  private readonly edges: RoutedEdge[];
  private readonly sides = new Map<string, RoutedEdge[]>();
  private readonly all: ChannelBuffer[] = [];
  private blockedCount = 0;
  private blockedSince = 0;
  private waiters: (() => void)[] = [];
  private lingerTimer: unknown = null;
  private markerTurn = 0;
  readonly stats: OutputStats = { recordsOut: 0, batchesOut: 0, maxInFlight: 0, backpressuredMs: 0 };

  /** Hears each barrier that leaves a backlog (credit came back for the batches before it). */
  onBarrierSent: (id: number) => void = () => {};

  /** Receives errors of sends made outside a caller's stack (on credit arrival, on the linger timer). */
  onError: (err: unknown) => void = (err) => {
    throw err;
  };

  constructor(
    edges: OutputEdge[], private readonly batchSize: number, private readonly lingerMs: number, private readonly clock: Clock,
    /** The event time of the record being emitted, shared with the actor's operators. */
    private readonly time: ElementTime = { timestamp: NaN },
  ) {
    this.edges = [];
    for (const e of edges) {
      const routed = { partitioner: e.partitioner, buffers: e.channels.map((c) => new ChannelBuffer(c, batchSize)) };
      this.all.push(...routed.buffers);
      if (e.tag === undefined) this.edges.push(routed);
      else this.sides.set(e.tag, [...(this.sides.get(e.tag) ?? []), routed]);
    }
    for (const b of this.all) {
      b.channel.onCredit(() => this.guarded(() => this.onCredit(b)));
      b.channel.onBatchSize?.((records) => {
        b.limit = Math.max(1, Math.min(this.batchSize, records));
        // A batch already past the new size goes now rather than waiting to grow further.
        if (b.records.length >= b.limit) this.guarded(() => this.flushBuffer(b));
      });
    }
  }

  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onError(err);
    }
  }

  collect(record: unknown): void {
    this.stats.recordsOut++;
    this.route(this.edges, record);
  }

  /** Emits a record to the edges of side output `tag` (none: the record is dropped, as no operator reads that output). */
  emitSide(tag: string, record: unknown): void {
    const edges = this.sides.get(tag);
    if (edges === undefined) return;
    this.stats.recordsOut++;
    this.route(edges, record);
  }

  /** Passes a watermark on to every channel, behind the records before it. */
  emitWatermark(time: number): void {
    this.broadcastEvent({ kind: 'watermark', time });
  }

  /** Passes on that this actor's output went idle or is active again. */
  emitStatus(idle: boolean): void {
    this.broadcastEvent({ kind: 'status', idle });
  }

  private route(edges: RoutedEdge[], record: unknown): void {
    const ts = this.time.timestamp;
    for (const e of edges) {
      const c = e.partitioner(record);
      if (c === BROADCAST) for (const b of e.buffers) this.add(b, record, ts);
      else this.add(e.buffers[c], record, ts);
    }
  }

  private add(b: ChannelBuffer, record: unknown, ts: number): void {
    const n = b.records.push(record);
    // ts === ts is false for NaN only: a record without event time adds nothing until one with it comes.
    if (ts === ts || b.timestamps !== null) (b.timestamps ??= new Array<number>(n - 1).fill(NaN)).push(ts);
    if (n >= b.limit) this.flushBuffer(b);
    else if (n === 1 && this.lingerTimer === null) {
      this.lingerTimer = this.clock.setTimer(this.lingerMs, () => {
        this.lingerTimer = null;
        this.guarded(() => this.flush());
      });
    }
  }

  private flushBuffer(b: ChannelBuffer): void {
    if (b.records.length === 0) return;
    const msg: DataMessage = b.timestamps === null ? { kind: 'batch', records: b.records } : { kind: 'batch', records: b.records, timestamps: Float64Array.from(b.timestamps) };
    b.records = [];
    b.timestamps = null;
    this.stats.batchesOut++;
    this.enqueue(b, msg);
  }

  private enqueue(b: ChannelBuffer, msg: DataMessage): void {
    if (b.backlog.length > 0 || (msg.kind === 'batch' && b.channel.credits() <= 0)) {
      if (b.backlog.push(msg) === 1) this.markBlocked();
      return;
    }
    b.channel.send(msg);
    if (msg.kind === 'batch') this.noteInFlight(b);
  }

  private noteInFlight(b: ChannelBuffer): void {
    const n = b.channel.inFlight();
    if (n > this.stats.maxInFlight) this.stats.maxInFlight = n;
  }

  private markBlocked(): void {
    if (this.blockedCount++ === 0) this.blockedSince = this.clock.now();
  }

  private onCredit(b: ChannelBuffer): void {
    if (b.backlog.length === 0) return;
    while (b.backlog.length > 0) {
      const msg = b.backlog[0];
      if (msg.kind === 'batch' && b.channel.credits() <= 0) return;
      b.backlog.shift();
      b.channel.send(msg);
      if (msg.kind === 'batch') this.noteInFlight(b);
      else if (msg.kind === 'barrier') this.onBarrierSent(msg.id);
    }
    if (--this.blockedCount === 0) {
      this.stats.backpressuredMs += this.clock.now() - this.blockedSince;
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w();
    }
  }

  /** True while any channel holds batches back for lack of credit. */
  isBlocked(): boolean {
    return this.blockedCount > 0;
  }

  /** Resolves once no channel holds anything back. */
  whenUnblocked(): Promise<void> {
    if (this.blockedCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Sends every partly filled batch (subject to credit). */
  flush(): void {
    if (this.lingerTimer !== null) {
      this.clock.cancelTimer(this.lingerTimer);
      this.lingerTimer = null;
    }
    for (const b of this.all) this.flushBuffer(b);
  }

  /**
   * Sends a latency marker behind the records of one channel, each channel in turn, so that
   * markers sample every path; false when the actor has no output channel (a sink).
   */
  emitLatencyMarker(emittedAt: number): boolean {
    if (this.all.length === 0) return false;
    const b = this.all[this.markerTurn++ % this.all.length];
    this.flushBuffer(b);
    this.enqueue(b, { kind: 'latency', emittedAt });
    return true;
  }

  /** Backpressured milliseconds so far, the wait still going on included. */
  backpressuredMsAt(now: number): number {
    return this.stats.backpressuredMs + (this.blockedCount > 0 ? now - this.blockedSince : 0);
  }

  /** Flushes, then queues the event on every channel behind what is already there. */
  broadcastEvent(event: StreamEvent): void {
    this.flush();
    for (const b of this.all) this.enqueue(b, event);
  }

  /**
   * Sends an unaligned barrier ahead of what each channel holds back for lack of credit
   * (behind an older barrier still waiting there, so barriers keep their order), and returns
   * the batches it overtook, per channel in output order: the checkpoint keeps them as
   * channel state while they still go out after it.
   */
  overtake(barrier: BarrierMessage): BatchMessage[][] {
    this.flush();
    return this.all.map((b) => {
      let at = b.backlog.length;
      while (at > 0 && b.backlog[at - 1].kind !== 'barrier') at--;
      const overtaken = b.backlog.slice(at).filter((m): m is BatchMessage => m.kind === 'batch');
      if (at === 0) b.channel.send(barrier);
      else b.backlog.splice(at, 0, barrier);
      return overtaken;
    });
  }

  /** Whether some channel still holds barrier `id` back behind batches waiting for credit. */
  holdsBarrier(id: number): boolean {
    return this.all.some((b) => b.backlog.some((m) => m.kind === 'barrier' && m.id === id));
  }

  /**
   * Moves barrier `id`, where a channel still holds it back, ahead of the batches before it
   * (behind an older barrier), now unaligned; returns the batches it overtook per channel in
   * output order: an aligned checkpoint whose barrier waited past its aligned timeout.
   */
  expediteBarrier(id: number): BatchMessage[][] {
    return this.all.map((b) => {
      const at = b.backlog.findIndex((m) => m.kind === 'barrier' && m.id === id);
      if (at < 0) return [];
      const barrier = { ...(b.backlog[at] as BarrierMessage), unaligned: true };
      b.backlog.splice(at, 1);
      let to = at;
      while (to > 0 && b.backlog[to - 1].kind !== 'barrier') to--;
      const overtaken = b.backlog.slice(to, at).filter((m): m is BatchMessage => m.kind === 'batch');
      if (to === 0) b.channel.send(barrier);
      else b.backlog.splice(to, 0, barrier);
      return overtaken;
    });
  }

  /** Sends batches a restored checkpoint kept as channel state, per channel in output order, before anything else. */
  replay(perChannel: BatchMessage[][]): void {
    perChannel.forEach((batches, c) => {
      const b = this.all[c];
      if (b === undefined) throw new Error(`channel state names output channel ${c}, but the actor has ${this.all.length}`);
      for (const batch of batches) {
        this.stats.batchesOut++;
        this.enqueue(b, batch);
      }
    });
  }

  /** Closes every channel (after end of input was sent). */
  close(): void {
    if (this.lingerTimer !== null) this.clock.cancelTimer(this.lingerTimer);
    this.lingerTimer = null;
    for (const b of this.all) b.channel.close();
  }
}
