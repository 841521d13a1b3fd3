/**
 * A snapshot's consistent view of LMDB state: a read transaction (a stable LMDB snapshot,
 * whatever commits later) plus the overlays frozen at the same moment, which hold the
 * writes that transaction may not contain yet. Overlay entries win over the transaction.
 */
import type { RootDatabase, Transaction } from 'lmdb';
import { keyGroupBound } from '../format/keys.js';
import { exactView, TOMBSTONE, type Overlay, type OverlayValue } from './overlay.js';
import type { KeyGroups } from '../format/restore-reader.js';
import type { SnapshotRun } from '../snapshot-run.js';

/** Entries read from LMDB per range query; a page at a time, so no cursor is held across an await. */
const PAGE_ENTRIES = 4096;

type FastGet = (key: Buffer, options: { transaction: Transaction }) => Buffer | undefined;

/** Receives a live entry of the view; a returned promise (a chunk being written) is awaited. */
export type ViewEntryHandler = (key: Buffer, value: Buffer) => void | Promise<void>;

/** Read transaction plus frozen overlays. */
export class SnapshotView {
  private released = false;

  constructor(
    private readonly db: RootDatabase<Buffer, Buffer>,
    private readonly txn: Transaction,
    /** Oldest first. */
    private readonly overlays: Overlay[],
  ) {}

  /** The value of a key in the view; LMDB's bytes are valid only until the next read. */
  get(key: string, keyBytes: Buffer): Buffer | undefined {
    for (let i = this.overlays.length - 1; i >= 0; i--) {
      const v = this.overlays[i].entries.get(key);
      if (v !== undefined) return v === TOMBSTONE ? undefined : v;
    }
    return exactView((this.db.getBinaryFast as FastGet).call(this.db, keyBytes, { transaction: this.txn }));
  }

  /**
   * Every live entry of the key-group range in key order: LMDB's range merged with the
   * overlays. The handler's promises are awaited and the run yields now and then.
   */
  async scan(range: KeyGroups, run: SnapshotRun, onEntry: ViewEntryHandler): Promise<void> {
    const start = keyGroupBound(range.start);
    const end = keyGroupBound(range.end + 1);
    const pending = this.sortedOverlayEntries(start, end);
    let next = 0;
    let after: Buffer | undefined;
    for (;;) {
      run.check();
      const page = [...this.db.getRange({ start: after ?? start, exclusiveStart: after !== undefined, end, limit: PAGE_ENTRIES, transaction: this.txn })];
      for (const { key, value } of page) {
        // Overlay keys that sort before this LMDB key are new keys; the one equal to it replaces it.
        while (next < pending.length && Buffer.compare(pending[next][0], key) < 0) {
          const [k, v] = pending[next++];
          const written = v === TOMBSTONE ? undefined : onEntry(k, v);
          if (written) await run.settle(written);
        }
        let written: void | Promise<void> = undefined;
        if (next < pending.length && pending[next][0].equals(key)) {
          const v = pending[next++][1];
          if (v !== TOMBSTONE) written = onEntry(key, v);
        } else {
          written = onEntry(key, value);
        }
        if (written) await run.settle(written);
        const pause = run.tick();
        if (pause) await pause;
      }
      if (page.length < PAGE_ENTRIES) break;
      after = page[page.length - 1].key;
    }
    for (; next < pending.length; next++) {
      const [k, v] = pending[next];
      const written = v === TOMBSTONE ? undefined : onEntry(k, v);
      if (written) await run.settle(written);
      const pause = run.tick();
      if (pause) await pause;
    }
  }

  /** Releases the read transaction; later reads through the view are not allowed. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.txn.done();
  }

  /** The overlays' final word on each key in [start, end), sorted by key bytes. */
  private sortedOverlayEntries(start: Buffer, end: Buffer): [Buffer, OverlayValue][] {
    const merged = new Map<string, OverlayValue>();
    for (const overlay of this.overlays) for (const [k, v] of overlay.entries) merged.set(k, v);
    const lo = start.toString('latin1');
    const hi = end.toString('latin1');
    // latin1 strings compare char by char with chars 0-255, which is byte order.
    const keys = [...merged.keys()].filter((k) => k >= lo && k < hi).sort();
    return keys.map((k) => [Buffer.from(k, 'latin1'), merged.get(k)!]);
  }
}
