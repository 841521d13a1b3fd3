/**
 * Bookkeeping of incremental snapshots: which handle later deltas build on (the last
 * confirmed one), the keys changed since then, and when a fresh base beats another delta.
 * A delta holds every key changed since the confirmed checkpoint, so an aborted or
 * still-unconfirmed checkpoint's changes are carried into the next delta.
 *
 * A chain's cost at restore is the entries it holds beyond the state (values superseded by
 * later deltas, deleted keys and their tombstones), so that is what the re-base policy
 * weighs: a state that only grows makes deltas of new keys, which waste nothing, and builds
 * on its base until the chain is `maxDeltas` long; one whose keys are rewritten re-bases once
 * the rewritten entries outweigh `maxDeltaRatio` of the state.
 */
import type { KeyedStateHandle } from '../snapshot.js';
import { sameKeyGroups, type KeyGroups } from '../format/restore-reader.js';
import type { ChangeLog } from './change-log.js';

/**
 * Keys changed in one interval between snapshots, as latin1 strings of their bytes: those
 * written to the store (with their values at the interval's end), and those the cache wrote out
 * at the barrier (known once its write-out is done).
 */
export interface ChangedKeys {
  stored: ChangeLog;
  cached?: { readonly size: number; keys(): Iterable<string>; deletions(): number };
}

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

/**
 * What the snapshots so far measured: the entries of the state at the confirmed checkpoint, and
 * the share of changed keys that rewrote or deleted an existing one (1 until measured).
 */
export interface ChainMeasure {
  live: number;
  rewritten: number;
}

/**
 * The measure of a state that starts empty (a job's first run): the first snapshot's changed
 * keys then grew the state by all it holds, so the share of rewrites is known from the first base
 * on, and a growing state's next snapshot is a delta instead of a second whole copy.
 */
const EMPTY_START: ChainMeasure = { live: 0, rewritten: 1 };

/** A produced snapshot: its handle, the entries of the state it copied, the keys it changed. */
type Produced = { handle: KeyedStateHandle; live: number | undefined; changedKeys: number };

/** The confirmed handle, the changes not yet confirmed, and the handles awaiting confirmation. */
export class IncrementalChain {
  private confirmed: KeyedStateHandle | undefined;
  private confirmedId = -Infinity;
  private measure: ChainMeasure | undefined = EMPTY_START;
  /** Changes not yet confirmed, per snapshot, with how many of them delete a key. */
  private unconfirmed: { id: number; changed: ChangedKeys; deletions: number }[] = [];
  private readonly produced = new Map<number, Produced>();
  /** Keys changed since the confirmed checkpoint, per snapshot planned and not yet produced. */
  private readonly planned = new Map<number, number>();

  constructor(private readonly opts: ChainOptions) {}

  /**
   * Registers the keys changed since the previous snapshot under checkpoint `id` and says
   * what to write. O(unconfirmed snapshots), so it may run in a snapshot's synchronous part.
   */
  plan(id: number, changed: ChangedKeys): IncrementalPlan {
    this.unconfirmed.push({ id, changed, deletions: deletionsIn(changed) });
    const on = this.confirmed;
    const pending = this.unconfirmed.filter((u) => u.id <= id);
    let changedKeys = 0;
    let deletions = 0;
    for (const u of pending) {
      changedKeys += u.changed.stored.size + (u.changed.cached?.size ?? 0);
      deletions += u.deletions;
    }
    this.planned.set(id, changedKeys);
    if (on === undefined) return { kind: 'base' };
    const sets = pending.map((u) => u.changed);
    return wouldRebase(on, changedKeys, this.opts, this.measure, deletions) ? { kind: 'base' } : { kind: 'delta', on, changed: sets };
  }

  /** The snapshot of checkpoint `id` finished with this handle; `live` entries were in the state it copied. */
  produce(id: number, handle: KeyedStateHandle, live?: number): void {
    this.produced.set(id, { handle, live, changedKeys: this.planned.get(id) ?? 0 });
    this.planned.delete(id);
  }

  /** Checkpoint `id` completed: its handle becomes the base of later deltas. */
  complete(id: number): void {
    const p = this.produced.get(id);
    // Without the handle (the copy failed here, or the id is stale) nothing may be forgotten.
    if (p === undefined || id <= this.confirmedId) return;
    this.measure = p.live === undefined ? undefined : { live: p.live, rewritten: rewrittenShare(this.measure, p) };
    this.confirmed = p.handle;
    this.confirmedId = id;
    this.unconfirmed = this.unconfirmed.filter((u) => u.id > id);
    for (const k of this.produced.keys()) if (k <= id) this.produced.delete(k);
    for (const k of this.planned.keys()) if (k <= id) this.planned.delete(k);
  }

  /** Checkpoint `id` was aborted: its handle is dropped, its changes stay for the next delta. */
  abort(id: number): void {
    this.produced.delete(id);
    this.planned.delete(id);
  }

  /**
   * State was restored from these handles. Only with `continueChain` (our own latest checkpoint,
   * in storage later checkpoints share) may one incremental handle of our key groups be built on.
   */
  restored(handles: KeyedStateHandle[], continueChain: boolean): void {
    this.unconfirmed = [];
    this.produced.clear();
    this.planned.clear();
    this.measure = undefined;
    this.confirmedId = -Infinity;
    const [only] = handles;
    // Full handles live in exclusive files, which are deleted with their checkpoint: a chain must not stand on them.
    const usable = continueChain && handles.length === 1 && only.backend === 'lmdb' && only.mode === 'incremental' && sameKeyGroups(only.keyGroups, this.opts.keyGroups);
    this.confirmed = usable ? only : undefined;
  }
}

/** How many of one interval's changes delete a key: each leaves a tombstone in a delta. */
function deletionsIn(changed: ChangedKeys): number {
  return changed.stored.deletions() + (changed.cached?.deletions() ?? 0);
}

/**
 * Of the keys a snapshot changed, the share that rewrote or deleted an entry of the state
 * before it: the state grew by the rest. A deletion counts twice (its tombstone and the entry
 * it undoes both stay in the chain). The previous share when nothing changed.
 */
function rewrittenShare(before: ChainMeasure | undefined, p: Produced): number {
  if (before === undefined || p.live === undefined) return 1;
  if (p.changedKeys === 0) return before.rewritten;
  const grown = p.live - before.live;
  return Math.min(2, Math.max(0, (p.changedKeys - grown) / p.changedKeys));
}

/**
 * Whether a snapshot changing `changedKeys` keys on top of `on`, `deletions` of them deleting
 * one, must write a fresh base rather than a delta under the re-base policy. With a measure, the
 * chain's entries beyond the state (plus the share of the new keys expected to rewrite one) are
 * weighed against the state's entries; a deletion is known to waste at least its tombstone,
 * whatever share the changes before it measured (a bounded job's end deletes most of its state
 * after intervals that only grew it). Without a measure (after a restore, or for handles written
 * before it was kept), the deltas' bytes, the new one estimated at the base's bytes per entry,
 * are weighed against the base's.
 */
export function wouldRebase(
  on: KeyedStateHandle, changedKeys: number, policy: Pick<ChainOptions, 'maxDeltas' | 'maxDeltaRatio'>, measure?: ChainMeasure, deletions = 0,
): boolean {
  if (on.files.length - 1 >= policy.maxDeltas) return true;
  if (measure !== undefined) {
    let held = 0;
    for (const f of on.files) held += f.entries;
    const waste = held - measure.live + measure.rewritten * (changedKeys - deletions) + Math.max(1, measure.rewritten) * deletions;
    return waste > policy.maxDeltaRatio * Math.max(1, measure.live);
  }
  const base = on.files[0];
  const bytesPerEntry = base.entries > 0 ? base.bytes / base.entries : 0;
  let deltaBytes = changedKeys * bytesPerEntry;
  for (let i = 1; i < on.files.length; i++) deltaBytes += on.files[i].bytes;
  return deltaBytes > policy.maxDeltaRatio * base.bytes;
}
