/**
 * A snapshot's consistent view of LMDB state: a read transaction opened at the snapshot's
 * point (store.ts), a stable LMDB snapshot whatever commits later.
 */
import type { RootDatabase, Transaction } from 'lmdb';
import { keyGroupBound } from '../format/keys.js';
import { exactView } from './overlay.js';
import type { KeyGroups } from '../format/restore-reader.js';
import type { SnapshotRun } from '../snapshot-run.js';

/** Entries read from LMDB per range query; a page at a time, so no cursor is held across an await. */
const PAGE_ENTRIES = 4096;

type FastGet = (key: Buffer, options: { transaction: Transaction }) => Buffer | undefined;

/** Receives a live entry of the view; a returned promise (a chunk being written) is awaited. */
export type ViewEntryHandler = (key: Buffer, value: Buffer) => void | Promise<void>;

/** One read transaction. */
export class SnapshotView {
  private released = false;

  /** `entries`: how many LMDB held as the transaction opened. */
  constructor(private readonly db: RootDatabase<Buffer, Buffer>, private readonly txn: Transaction, private readonly entries: number) {}

  /** The value of a key in the view; its bytes are valid only until the next read. */
  get(keyBytes: Buffer): Buffer | undefined {
    return exactView((this.db.getBinaryFast as FastGet).call(this.db, keyBytes, { transaction: this.txn }));
  }

  /** Every entry of the key-group range in key order. The handler's promises are awaited and the run yields now and then. */
  async scan(range: KeyGroups, run: SnapshotRun, onEntry: ViewEntryHandler): Promise<void> {
    const start = keyGroupBound(range.start);
    const end = keyGroupBound(range.end + 1);
    let after: Buffer | undefined;
    for (;;) {
      run.check();
      const page = [...this.db.getRange({ start: after ?? start, exclusiveStart: after !== undefined, end, limit: PAGE_ENTRIES, transaction: this.txn })];
      for (const { key, value } of page) {
        const written = onEntry(key, value);
        if (written) await run.settle(written);
        const pause = run.tick();
        if (pause) await pause;
      }
      if (page.length < PAGE_ENTRIES) break;
      after = page[page.length - 1].key;
    }
  }

  /** Entries in the view (the subtask's database holds its own key groups only). */
  count(): number {
    return this.entries;
  }

  /** Releases the read transaction; later reads through the view are not allowed. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.txn.done();
  }
}
