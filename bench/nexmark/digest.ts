/**
 * An order-independent digest of a multiset of result rows: their count and two sums of
 * independent 32-bit hashes of each row's JSON text. Equal multisets have equal digests; a
 * row lost, doubled or changed moves the sums. The digest sink sends its digest per checkpoint
 * epoch as the collect sink sends records, so a restore drops what it digested after the
 * restored checkpoint and the digest of a failing run stays exactly-once.
 */
import type { Collector, OperatorContext, StreamOperator } from '../../runtime/index.js';

/** The digest of a multiset of rows. */
export interface Digest {
  rows: number;
  a: number;
  b: number;
}

/** The digest of no rows. */
export const EMPTY_DIGEST: Digest = Object.freeze({ rows: 0, a: 0, b: 0 });

/** Adds one row to a digest in place. */
export function addRow(d: Digest, row: unknown): void {
  const text = JSON.stringify(row);
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  d.rows++;
  d.a = (d.a + (a >>> 0)) >>> 0;
  d.b = (d.b + (Math.imul(b ^ (b >>> 13), 0xc2b2ae35) >>> 0)) >>> 0;
}

/** The digest of the union of multisets. */
export function combine(parts: readonly Digest[]): Digest {
  const d = { ...EMPTY_DIGEST };
  for (const p of parts) {
    d.rows += p.rows;
    d.a = (d.a + p.a) >>> 0;
    d.b = (d.b + p.b) >>> 0;
  }
  return d;
}

/** The digest of rows. */
export function digestOf(rows: Iterable<unknown>): Digest {
  const d = { ...EMPTY_DIGEST };
  for (const r of rows) addRow(d, r);
  return d;
}

/** A sink that digests its rows; the job's result under its name holds one digest per epoch and subtask. */
export class DigestSink implements StreamOperator {
  private ctx!: OperatorContext;
  private digest: Digest = { ...EMPTY_DIGEST };
  private epoch = 0;

  constructor(private readonly sinkName: string) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.epoch = ctx.restored?.checkpointId ?? 0;
  }

  process(row: unknown, _out: Collector): void {
    addRow(this.digest, row);
  }

  /** What came before the barrier belongs to the previous epoch. */
  snapshotState(id: number): void {
    this.send();
    this.epoch = id;
  }

  finish(): void {
    this.send();
  }

  private send(): void {
    if (this.digest.rows === 0) return;
    this.ctx.toCoordinator({ kind: 'collect', sink: this.sinkName, records: [this.digest], epoch: this.epoch });
    this.digest = { ...EMPTY_DIGEST };
  }
}
