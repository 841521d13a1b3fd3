/**
 * The source of the benchmark and experiment jobs that update keyed state: it writes every
 * key once (the load), then updates a share of the keys. In `rounds` mode it asks for a
 * checkpoint after each phase and waits until one that covers the phase completes, so each
 * checkpoint holds exactly one round of updates. In `stream` mode it updates the same hot
 * keys without pause; the wall times at which the updates begin and end are reported as the
 * `updatesFrom` and `updatesUntil` metrics.
 */
import type { Collector, OperatorContext, SourceReader } from '../../operators/api.js';
import { wallNow } from '../../base/clock.js';

/** Parameters of the update source. */
export interface UpdateReaderParams {
  keys: number;
  /** Share of the keys updated per round (rounds mode) or cycled over (stream mode). */
  updateRatio: number;
  mode: 'rounds' | 'stream';
  /** Rounds mode: rounds of updates after the load. */
  rounds: number;
  /**
   * Rounds mode: whether the last round is followed by a requested checkpoint of its own
   * (the checkpoint bench, which leaves the final checkpoint out) or left to the job's final
   * checkpoint (the experiment, which counts it).
   */
  checkpointLastRound: boolean;
  /** Stream mode: updates after the load. */
  updates: number;
  /** Stream mode: after the load, ask for a checkpoint and wait for it, so updates start on a checkpointed base. */
  checkpointAfterLoad?: boolean;
}

/** One update record. */
export interface Update {
  key: string;
  seq: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** A step coprime with n, so seq × step mod n visits every key once per n updates, spread over key groups. */
export function strideFor(n: number): number {
  let s = Math.max(1, Math.floor(n * 0.618)) | 1;
  while (gcd(s, n) !== 1) s += 2;
  return s;
}

/** Emits the load, then the updates, pausing for a covering checkpoint where the params ask. */
export class UpdateReader implements SourceReader {
  private readonly hot: number;
  private readonly stride: number;
  private readonly total: number;
  private next = 0;
  /** Where the current phase ends; the source waits for a checkpoint there. */
  private phaseEnd: number;
  /** Where the source last paused, so it pauses once at the end of the last round. */
  private pausedAt = -1;
  private waiting = false;
  /**
   * A barrier was taken while waiting, so the next completion covers the whole phase: a
   * checkpoint that began before the pause may complete first and must not release it.
   * One checkpoint is in flight at a time in these jobs, so no older one completes later.
   */
  private covered = false;
  private ctx!: OperatorContext;

  constructor(private readonly p: UpdateReaderParams) {
    this.hot = Math.max(1, Math.round(p.keys * p.updateRatio));
    this.stride = strideFor(p.keys);
    this.total = p.mode === 'rounds' ? p.keys + p.rounds * this.hot : p.keys + p.updates;
    this.phaseEnd = p.mode === 'rounds' || p.checkpointAfterLoad ? p.keys : this.total;
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
  }

  private keyOf(seq: number): string {
    if (seq < this.p.keys) return 'k' + seq;
    const u = seq - this.p.keys;
    // Updates walk the keys with a stride coprime to their number: distinct keys per round, spread over key groups.
    return 'k' + (((this.p.mode === 'rounds' ? u : u % this.hot) * this.stride) % this.p.keys);
  }

  /** Whether the phase that just ended is followed by a requested checkpoint. */
  private pausesAfterPhase(): boolean {
    if (this.p.mode === 'stream') return this.next === this.p.keys && this.p.checkpointAfterLoad === true;
    return this.next < this.total || this.p.checkpointLastRound;
  }

  poll(max: number, out: Collector<Update>): boolean | Promise<boolean> {
    if (this.waiting) return this.ctx.clock.sleep(1).then(() => true);
    // Stream mode: the first tenth of the updates is a warm-up, the load's tail is still in flight then.
    if (this.p.mode === 'stream' && this.next >= this.p.keys + Math.floor(this.p.updates / 10)) this.ctx.metrics.updatesFrom ??= wallNow();
    // A batch never spans the end of the load, so runs with and without a pause there emit the same batches.
    const end = Math.min(this.next + max, this.phaseEnd, this.next < this.p.keys ? this.p.keys : this.total);
    for (; this.next < end; this.next++) out.collect({ key: this.keyOf(this.next), seq: this.next });
    if (this.next === this.phaseEnd && this.pausedAt !== this.next && this.pausesAfterPhase()) {
      this.pausedAt = this.next;
      this.waiting = true;
      this.covered = false;
      this.phaseEnd = Math.min(this.next + (this.p.mode === 'rounds' ? this.hot : Infinity), this.total);
      this.ctx.toCoordinator({ kind: 'request-checkpoint' });
      return true;
    }
    if (this.next < this.total) return true;
    if (this.p.mode === 'stream') this.ctx.metrics.updatesUntil ??= wallNow();
    return false;
  }

  position(): unknown {
    if (this.waiting) this.covered = true;
    return { next: this.next, phaseEnd: this.phaseEnd };
  }

  notifyCheckpointComplete(): void {
    if (this.waiting && this.covered) this.waiting = false;
  }

  /** The checkpoint asked for may never complete: ask again, or the source would wait for ever. */
  notifyCheckpointAborted(): void {
    if (!this.waiting || !this.covered) return;
    this.covered = false;
    this.ctx.toCoordinator({ kind: 'request-checkpoint' });
  }
}
