/**
 * The checkpoint benchmark's job: a source that first writes every key once, then updates
 * a fraction of the keys per round → keyBy key → value state per key → discard.
 * In `rounds` mode the source asks for a checkpoint after the load and after each round and
 * waits for it to complete, so each checkpoint covers exactly one round of updates. In
 * `stream` mode it updates the same hot keys without pause, for throughput runs; the wall
 * times at which the updates begin and end are reported as the source's `updatesFrom` and
 * `updatesUntil` metrics.
 */
import type { Collector, OperatorContext, SourceReader } from '../../operators/api.js';
import { wallNow } from '../../runtime/clock.js';
import { defineJob } from '../../runtime/job.js';

/** Parameters of the checkpoint benchmark job. */
export interface CheckpointJobParams {
  keys: number;
  /** Share of the keys updated per round (rounds mode) or cycled over (stream mode). */
  updateRatio: number;
  mode: 'rounds' | 'stream';
  /** Rounds mode: rounds after the load, each followed by one checkpoint. */
  rounds: number;
  /** Stream mode: updates after the load. */
  updates: number;
  /** Length of the padding string stored in every value. */
  valueBytes: number;
  /** Stream mode: after the load, ask for a checkpoint and wait for it, so updates start on a checkpointed base. */
  checkpointAfterLoad?: boolean;
}

/** One update record. */
interface Update {
  key: string;
  seq: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** A step coprime with n, so seq × step mod n visits every key once per n updates, spread over key groups. */
function strideFor(n: number): number {
  let s = Math.max(1, Math.floor(n * 0.618)) | 1;
  while (gcd(s, n) !== 1) s += 2;
  return s;
}

/** Emits the load, then the updates; in rounds mode pauses for a checkpoint after each phase. */
class UpdateReader implements SourceReader {
  private readonly hot: number;
  private readonly stride: number;
  private next = 0;
  private phaseEnd: number;
  private round = 0;
  private waiting = false;
  private loadCheckpointed = false;
  /** Set once a barrier was taken after the load's last record: only its completion may release the source. */
  private loadBarrierTaken = false;
  private ctx!: OperatorContext;

  constructor(private readonly p: CheckpointJobParams) {
    this.hot = Math.max(1, Math.round(p.keys * p.updateRatio));
    this.stride = strideFor(p.keys);
    this.phaseEnd = p.keys;
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
  }

  private keyOf(seq: number): string {
    if (seq < this.p.keys) return 'k' + seq;
    const u = seq - this.p.keys;
    const i = this.p.mode === 'rounds' ? u : u % this.hot;
    return 'k' + ((i * this.stride) % this.p.keys);
  }

  poll(max: number, out: Collector<Update>): boolean | Promise<boolean> {
    if (this.waiting) return this.ctx.clock.sleep(1).then(() => true);
    const total = this.p.mode === 'rounds' ? this.p.keys + this.p.rounds * this.hot : this.p.keys + this.p.updates;
    const end = Math.min(this.next + max, total, this.p.mode === 'rounds' ? this.phaseEnd : this.next < this.p.keys ? this.p.keys : total);
    if (this.p.mode === 'stream' && this.p.checkpointAfterLoad && this.next === this.p.keys && !this.loadCheckpointed) {
      this.loadCheckpointed = true;
      this.waiting = true;
      this.ctx.toCoordinator({ kind: 'request-checkpoint' });
      return true;
    }
    // The first tenth of the updates is a warm-up in both runs: the load's tail is still in flight then.
    if (this.next >= this.p.keys + this.warmUp) this.ctx.metrics.updatesFrom ??= wallNow();
    for (; this.next < end; this.next++) out.collect({ key: this.keyOf(this.next), seq: this.next });
    if (this.p.mode === 'rounds' && this.next === this.phaseEnd && this.round <= this.p.rounds) {
      this.waiting = true;
      this.round++;
      this.phaseEnd += this.hot;
      this.ctx.toCoordinator({ kind: 'request-checkpoint' });
      return true;
    }
    if (this.next < total) return true;
    this.ctx.metrics.updatesUntil ??= wallNow();
    return false;
  }

  notifyCheckpointComplete(): void {
    // A checkpoint started during the load may complete first; it does not cover the whole load.
    if (this.p.mode === 'stream' && !this.loadBarrierTaken) return;
    this.waiting = false;
  }

  position(): unknown {
    if (this.waiting && this.next === this.p.keys) this.loadBarrierTaken = true;
    return { next: this.next, round: this.round };
  }

  private get warmUp(): number {
    return this.p.mode === 'stream' ? Math.floor(this.p.updates / 10) : 0;
  }
}

export default defineJob<CheckpointJobParams>((env, p) => {
  const pad = 'x'.repeat(p.valueBytes);
  env.addSource<Update>('Source: Updates', { createReader: () => new UpdateReader(p), maxParallelism: 1 })
    .keyBy((r) => r.key)
    .process<never>((r, ctx) => {
      const v = ctx.valueState<{ n: number; last: number; pad: string }>('v');
      v.update({ n: (v.value()?.n ?? 0) + 1, last: r.seq, pad });
    }, 'Keyed: update value')
    .discard();
});
