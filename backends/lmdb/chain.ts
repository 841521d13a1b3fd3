/**
 * Bookkeeping of incremental snapshots: which handle later deltas build on (the last
 * confirmed one), the keys changed since then, and when a fresh base beats another delta.
 * A delta holds every key changed since the confirmed checkpoint, so an aborted or
 * still-unconfirmed checkpoint's changes are carried into the next delta.
 */
import type { KeyedStateHandle } from '../snapshot.js';
import { sameKeyGroups, type KeyGroups } from '../format/restore-reader.js';

/** Keys changed in one interval between snapshots, as latin1 strings of their bytes. */
export type ChangedKeys = Set<string>;

/** What an incremental snapshot writes. */
export type IncrementalPlan =
  | { kind: 'base' }
  /** A delta of the keys in `changed` (sets may overlap), appended to `on`'s files. */
  | { kind: 'delta'; on: KeyedStateHandle; changed: ChangedKeys[] };

/** Options of IncrementalChain. */
export interface ChainOptions {
  keyGroups: KeyGroups;
  maxDeltas: number;
  maxDeltaRatio: number;
}

/** The confirmed handle, the changes not yet confirmed, and the handles awaiting confirmation. */
export class IncrementalChain {
  private confirmed: KeyedStateHandle | undefined;
  private confirmedId = -Infinity;
  private unconfirmed: { id: number; changed: ChangedKeys }[] = [];
  private readonly produced = new Map<number, KeyedStateHandle>();

  constructor(private readonly opts: ChainOptions) {}

  /**
   * Registers the keys changed since the previous snapshot under checkpoint `id` and says
   * what to write. O(unconfirmed snapshots), so it may run in a snapshot's synchronous part.
   * `pendingKeys` more may join `changed` before the copy reads it (the cache's write-out).
   */
  plan(id: number, changed: ChangedKeys, pendingKeys = 0): IncrementalPlan {
    this.unconfirmed.push({ id, changed });
    const on = this.confirmed;
    if (on === undefined) return { kind: 'base' };
    const sets = this.unconfirmed.filter((u) => u.id <= id).map((u) => u.changed);
    let changedKeys = pendingKeys;
    for (const s of sets) changedKeys += s.size;
    return wouldRebase(on, changedKeys, this.opts) ? { kind: 'base' } : { kind: 'delta', on, changed: sets };
  }

  /** The snapshot of checkpoint `id` finished with this handle. */
  produce(id: number, handle: KeyedStateHandle): void {
    this.produced.set(id, handle);
  }

  /** Checkpoint `id` completed: its handle becomes the base of later deltas. */
  complete(id: number): void {
    const handle = this.produced.get(id);
    // Without the handle (the copy failed here, or the id is stale) nothing may be forgotten.
    if (handle === undefined || id <= this.confirmedId) return;
    this.confirmed = handle;
    this.confirmedId = id;
    this.unconfirmed = this.unconfirmed.filter((u) => u.id > id);
    for (const k of this.produced.keys()) if (k <= id) this.produced.delete(k);
  }

  /** Checkpoint `id` was aborted: its handle is dropped, its changes stay for the next delta. */
  abort(id: number): void {
    this.produced.delete(id);
  }

  /**
   * State was restored from these handles. Only with `continueChain` (our own latest checkpoint,
   * in storage later checkpoints share) may one incremental handle of our key groups be built on.
   */
  restored(handles: KeyedStateHandle[], continueChain: boolean): void {
    this.unconfirmed = [];
    this.produced.clear();
    this.confirmedId = -Infinity;
    const [only] = handles;
    // Full handles live in exclusive files, which are deleted with their checkpoint: a chain must not stand on them.
    const usable = continueChain && handles.length === 1 && only.backend === 'lmdb' && only.mode === 'incremental' && sameKeyGroups(only.keyGroups, this.opts.keyGroups);
    this.confirmed = usable ? only : undefined;
  }
}

/**
 * Whether a snapshot changing `changedKeys` keys on top of `on` must write a fresh base rather
 * than a delta under the re-base policy; the new delta's bytes are estimated at the base's bytes per entry.
 */
export function wouldRebase(on: KeyedStateHandle, changedKeys: number, policy: Pick<ChainOptions, 'maxDeltas' | 'maxDeltaRatio'>): boolean {
  if (on.files.length - 1 >= policy.maxDeltas) return true;
  const base = on.files[0];
  const bytesPerEntry = base.entries > 0 ? base.bytes / base.entries : 0;
  let deltaBytes = changedKeys * bytesPerEntry;
  for (let i = 1; i < on.files.length; i++) deltaBytes += on.files[i].bytes;
  return deltaBytes > policy.maxDeltaRatio * base.bytes;
}
