/**
 * Checkpoint retention: the newest completed checkpoints are kept (savepoints are never
 * counted or deleted here), and dropping one deletes exactly the files that no kept
 * checkpoint, and no checkpoint still in flight, stands on.
 */
import type { CheckpointStorage } from './checkpoint-storage.js';
import type { CheckpointMetadata } from './metadata.js';
import { SharedFileRegistry } from './registry.js';
import { CorruptCheckpointError } from '../../base/errors.js';
import { positiveInteger } from '../../base/validate.js';

/** Options of CheckpointRetention. */
export interface RetentionOptions {
  storage: CheckpointStorage;
  /** Completed checkpoints kept, savepoints not counted. */
  retained: number;
}

/** Keeps the newest completed checkpoints and deletes exactly what only older ones used. */
export class CheckpointRetention {
  /** The reference counts behind every deletion. */
  readonly registry = new SharedFileRegistry();
  /** Checkpoints whose `_metadata` could not be read by load(); their files are left alone. */
  readonly unreadable: { id: number; reason: string }[] = [];
  private readonly storage: CheckpointStorage;
  private readonly retained: number;
  /** Held checkpoints, ascending by id. */
  private readonly held: CheckpointMetadata[] = [];
  /**
   * Shared files no held checkpoint references any more, kept while checkpoints that were in
   * flight when they were released may still stand on them (each waits for those ids to end).
   */
  private readonly parked = new Map<string, Set<number>>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(opts: RetentionOptions) {
    positiveInteger('retained', opts.retained);
    this.storage = opts.storage;
    this.retained = opts.retained;
  }

  /** Rebuilds the counts of a restarted job from the `_metadata` files on disk; deletes nothing until the next add(). */
  static async load(storage: CheckpointStorage, retained: number): Promise<CheckpointRetention> {
    const r = new CheckpointRetention({ storage, retained });
    for (const id of await storage.completedIds()) {
      try {
        const meta = await storage.readMetadata(id);
        r.registry.register(meta);
        r.held.push(meta);
      } catch (err) {
        if (!(err instanceof CorruptCheckpointError)) throw err;
        r.unreadable.push({ id, reason: err.message });
      }
    }
    return r;
  }

  /**
   * Registers a completed checkpoint and releases the oldest ones beyond `retained`; returns
   * the deleted paths. Shared files released while the checkpoints `inFlight` are still
   * pending are only deleted once each of them has ended (see settle()), because their
   * snapshots may have been planned on a released checkpoint's files.
   */
  add(meta: CheckpointMetadata, inFlight: number[] = []): Promise<string[]> {
    return this.serialized(() => this.addNow(meta, inFlight));
  }

  /** Checkpoint `id` ended (completed and added, or aborted): deletes parked files nobody can need any more. */
  settle(id: number): Promise<string[]> {
    return this.serialized(async () => {
      const removed: string[] = [];
      for (const [path, waits] of [...this.parked]) {
        waits.delete(id);
        if (waits.size > 0) continue;
        this.parked.delete(path);
        if (this.registry.refs(path) === 0 && (await this.storage.remove(path))) removed.push(path);
      }
      return removed;
    });
  }

  // Serialized: two adds interleaving their releases could both delete, or both keep, a file.
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Ids of the held checkpoints (savepoints included), ascending. */
  retainedIds(): number[] {
    return this.held.map((m) => m.checkpointId);
  }

  /** The held checkpoints, oldest first: the candidates a restart restores, newest first. */
  checkpoints(): CheckpointMetadata[] {
    return [...this.held];
  }

  /** The newest held checkpoint: the one a restart restores. */
  latest(): CheckpointMetadata | undefined {
    return this.held[this.held.length - 1];
  }

  private async addNow(meta: CheckpointMetadata, inFlight: number[]): Promise<string[]> {
    if (this.held.some((m) => m.checkpointId === meta.checkpointId)) throw new Error(`checkpoint ${meta.checkpointId} was already added`);
    this.registry.register(meta);
    const at = this.held.findIndex((m) => m.checkpointId > meta.checkpointId);
    this.held.splice(at < 0 ? this.held.length : at, 0, meta);
    const removed: string[] = [];
    // A loop, not an if: a restarted job may have loaded more checkpoints than it now retains.
    while (this.held.filter((m) => !m.savepoint).length > this.retained) {
      const oldest = this.held.findIndex((m) => !m.savepoint);
      const [gone] = this.held.splice(oldest, 1);
      removed.push(...(await this.drop(gone!, inFlight)));
    }
    return removed.sort();
  }

  private async drop(meta: CheckpointMetadata, inFlight: number[]): Promise<string[]> {
    const unused = this.registry.release(meta);
    const folder = `chk-${meta.checkpointId}`;
    const removed: string[] = [];
    const now = unused.filter((path) => inFlight.length === 0 || !path.startsWith('shared/'));
    for (const path of unused) if (!now.includes(path)) this.parked.set(path, new Set(inFlight));
    // `_metadata` first: a crash part-way then leaves an incomplete checkpoint, never a complete one missing files.
    for (const path of [`${folder}/_metadata`, ...now]) if (await this.storage.remove(path)) removed.push(path);
    const left = await this.storage.files(folder);
    // A file in the folder that a retained checkpoint still references keeps the folder, whatever the scope said.
    if (left.every((f) => this.registry.refs(f.path) === 0)) {
      await this.storage.discard(meta.checkpointId, []);
      removed.push(...left.map((f) => f.path));
    }
    return removed;
  }
}
