/**
 * The checkpoint coordinator on the main thread: triggers checkpoints by asking every
 * source subtask to emit barrier n, collects one acknowledgement per subtask, writes the
 * metadata file last (which is what makes a checkpoint complete), applies retention and
 * tells the actors. It enforces the timeout, the minimum pause, the limit on concurrent
 * checkpoints and the number of failures in a row the job tolerates, and it takes a final
 * checkpoint once every source is exhausted so that bounded jobs end with one.
 */
import { join } from 'node:path';
import { CheckpointStorage } from '../storage/checkpoint-storage.js';
import { CheckpointHistory, type CheckpointStats, type CheckpointStatus, type CheckpointSummary } from './stats.js';
import type { CheckpointMetadata, SubtaskCheckpointStats, SubtaskState } from '../storage/metadata.js';
import { systemClock, wallNow, type Clock } from '../../base/clock.js';
import { CheckpointError, errorMessage } from '../../base/errors.js';
import type { ControlFromActor, ControlToActor } from '../transport/protocol.js';
import type { CheckpointRetention } from '../storage/retention.js';
import type { CheckpointConfig } from './config.js';
import { PendingCheckpoint, type SavepointRequest } from './pending.js';
import { nextTrigger, type TriggerState } from './trigger-policy.js';

/** What the checkpoint coordinator knows of one actor. */
export interface CheckpointActor {
  chain: number;
  subtask: number;
  parallelism: number;
  isSource: boolean;
  /** Display name, for reasons and statistics. */
  name: string;
}

/** Everything the checkpoint coordinator needs. */
export interface CheckpointCoordinatorOptions {
  config: CheckpointConfig;
  jobId: string;
  jobName: string;
  maxParallelism: number;
  actors: CheckpointActor[];
  send(actor: number, msg: ControlToActor): void;
  storage: CheckpointStorage;
  retention: CheckpointRetention;
  /** Called once when more checkpoints failed in a row than the job tolerates. */
  onFatal(err: CheckpointError): void;
  /** A stop-with-savepoint completed: the job ends now. */
  onStopped?(savepointDir: string, checkpointId: number): void;
  /** A checkpoint or savepoint (with its folder) completed, failed or was aborted. */
  onRecorded?(summary: CheckpointSummary, savepointDir?: string): void;
  /** Names of the job's operator chains, stored in the metadata. */
  chains?: string[];
  /** Id of the first checkpoint (a restarted or resumed job continues the numbering). */
  firstId?: number;
  clock?: Clock;
}

/** The actor messages about checkpoints, which the coordinator of an attempt hands on here. */
export type CheckpointMessage = Extract<ControlFromActor, { kind: 'ack' | 'decline' | 'running' | 'request-checkpoint' | 'source-exhausted' }>;

/** Triggers, completes, aborts and reports the checkpoints of one job run. */
export class CheckpointCoordinator {
  private readonly clock: Clock;
  private readonly pending = new Map<number, PendingCheckpoint>();
  private readonly history = new CheckpointHistory();
  private readonly completed: CheckpointMetadata[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly exhausted = new Set<number>();
  private readonly sources: number[];
  /** Actors that reported running; like Flink, no checkpoint is triggered before all are. */
  private readonly running = new Set<number>();
  private nextId: number;
  private readonly firstId: number;
  private readonly savepoints: SavepointRequest[] = [];
  /** Storage of every savepoint triggered, by id, so that late files of a failed one are found. */
  private readonly savepointStorage = new Map<number, CheckpointStorage>();
  private timer: unknown = null;
  private lastTrigger = -Infinity;
  private lastEnd = -Infinity;
  private failuresInARow = 0;
  /** Highest id whose completion the actors were told of; older notices are not sent after it. */
  private lastNotified = 0;
  private startCalled = false;
  private finalRequested = false;
  private finalDone = false;
  private halted = false;
  /** A checkpoint was asked for: trigger as soon as concurrency and the minimum pause allow. */
  private requested = false;

  constructor(private readonly o: CheckpointCoordinatorOptions) {
    this.clock = o.clock ?? systemClock;
    this.sources = o.actors.flatMap((a, i) => (a.isSource ? [i] : []));
    this.firstId = this.nextId = o.firstId ?? 1;
  }

  /** Highest checkpoint id triggered so far (firstId - 1 before the first). */
  get lastTriggeredId(): number {
    return this.nextId - 1;
  }

  /**
   * Takes a savepoint into a new folder inside `parentDir` and resolves with that folder; with
   * `stop`, the job ends once it completed. Savepoints do not count as checkpoint failures.
   */
  triggerSavepoint(parentDir: string, stop = false): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (this.halted || this.finalRequested || this.finalDone) {
        reject(new CheckpointError(this.nextId, 'no savepoint can be taken: the job is ending'));
        return;
      }
      this.savepoints.push({ dir: parentDir, stop, resolve, reject });
      this.tryTrigger();
    });
  }

  /** Starts periodic triggering once every actor is running; the first checkpoint comes one interval later. */
  start(): void {
    this.startCalled = true;
    this.lastTrigger = this.clock.now();
    this.tryTrigger();
  }

  /** Checkpoints triggered and not yet ended. */
  get inProgress(): number {
    return this.pending.size;
  }

  /** True once the final checkpoint of a bounded job has completed. */
  get finalCompleted(): boolean {
    return this.finalDone;
  }

  /** Handles a message about checkpoints from actor `i`. */
  handle(i: number, msg: CheckpointMessage): void {
    switch (msg.kind) {
      case 'ack':
        this.onAck(i, msg.id, msg.state, msg.stats);
        return;
      case 'decline':
        // A failed savepoint is reported to whoever asked for it; it does not count against the job.
        this.fail(msg.id, `declined by ${this.o.actors[i].name}: ${msg.reason}`, !this.pending.get(msg.id)?.savepoint);
        return;
      case 'running':
        this.running.add(i);
        if (this.running.size === this.o.actors.length) {
          this.lastTrigger = this.clock.now();
          this.tryTrigger();
        }
        return;
      case 'request-checkpoint':
        this.requested = true;
        this.tryTrigger();
        return;
      case 'source-exhausted':
        this.exhausted.add(i);
        if (this.sources.every((s) => this.exhausted.has(s))) {
          this.finalRequested = true;
          this.tryTrigger();
        }
    }
  }

  /** Stops triggering at once (the job is failing or cancelled). */
  halt(): void {
    this.halted = true;
    for (const sp of this.savepoints.splice(0)) sp.reject(new CheckpointError(this.nextId, 'the job ended before the savepoint was taken'));
    if (this.timer !== null) this.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  /** Halts, abandons pending checkpoints, removes every file no retained checkpoint needs, and reports. */
  async stop(): Promise<CheckpointStats> {
    this.halt();
    for (const p of [...this.pending.values()]) if (!p.completing) this.abort(p, 'aborted', 'the job ended before it completed');
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    try {
      // The retention's list, not this run's: after a restart it holds checkpoints of earlier attempts.
      await this.o.storage.sweep(this.o.retention.checkpoints());
    } catch (err) {
      this.history.warn(`files no retained checkpoint needs could not all be removed: ${errorMessage(err)}`);
    }
    return this.stats();
  }

  /** The checkpoint history so far. */
  stats(): CheckpointStats {
    return this.history.stats(this.o.jobId, this.o.config.jobDir, this.nextId - this.firstId);
  }

  /** Keeps a background step until stop(); its failure becomes a warning, never silence. */
  private track(p: Promise<unknown>, what: string): void {
    const tracked = p.catch((err: unknown) => this.history.warn(`${what}: ${errorMessage(err)}`)).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private schedule(delay: number): void {
    if (this.timer !== null) this.clock.cancelTimer(this.timer);
    this.timer = this.clock.setTimer(Math.max(0, delay), () => {
      this.timer = null;
      this.tryTrigger();
    });
  }

  /** What the trigger policy sees now. */
  private triggerState(): TriggerState {
    const busy = [...this.pending.values()];
    return {
      now: this.clock.now(), ended: this.halted || this.finalDone, ready: this.startCalled && this.running.size === this.o.actors.length,
      inFlight: busy.length, stopping: busy.some((p) => p.savepoint?.stop === true), maxConcurrent: this.o.config.maxConcurrent,
      savepointWaiting: this.savepoints.length > 0, finalRequested: this.finalRequested, requested: this.requested,
      lastTrigger: this.lastTrigger, lastEnd: this.lastEnd, intervalMs: this.o.config.intervalMs, minPauseMs: this.o.config.minPauseMs,
    };
  }

  /** Triggers whatever the policy says is due now, or sets the timer for when it will be. */
  private tryTrigger(): void {
    for (;;) {
      const next = nextTrigger(this.triggerState());
      switch (next.action) {
        case 'none':
          return;
        case 'wait':
          this.schedule(next.ms);
          return;
        case 'savepoint':
          this.trigger(false, this.savepoints.shift());
          break;
        case 'checkpoint':
          this.requested = false;
          this.trigger(next.final);
          if (next.final) return;
      }
    }
  }

  private trigger(final: boolean, request?: SavepointRequest): void {
    const id = this.nextId++;
    const timestamp = wallNow();
    this.lastTrigger = this.clock.now();
    const savepoint = request && { ...request, dir: join(request.dir, `savepoint-${this.o.jobId}-${id}`) };
    if (savepoint) this.savepointStorage.set(id, new CheckpointStorage(savepoint.dir, { flat: true }));
    const timer = this.clock.setTimer(this.o.config.timeoutMs, () => this.fail(id, `expired after ${this.o.config.timeoutMs} ms before every subtask acknowledged it`, !savepoint));
    this.pending.set(id, new PendingCheckpoint(id, final, timestamp, this.lastTrigger, timer, savepoint));
    for (const i of this.sources) this.o.send(i, { kind: 'trigger', id, timestamp, final, savepoint: savepoint?.dir, stop: savepoint?.stop });
  }

  /** Where checkpoint `id` keeps its files: the job folder, or its savepoint folder. */
  private storageOf(id: number): CheckpointStorage {
    return this.savepointStorage.get(id) ?? this.o.storage;
  }

  private onAck(i: number, id: number, state: SubtaskState, stats: SubtaskCheckpointStats): void {
    const p = this.pending.get(id);
    if (!p || p.completing) {
      const written = state.keyed?.written ?? [];
      // A late acknowledgement of an aborted checkpoint: its files would otherwise stay behind.
      if (written.length > 0 && !this.completed.some((m) => m.checkpointId === id)) {
        this.track(this.storageOf(id).discard(id, written), `files of aborted checkpoint ${id} could not be removed`);
      }
      return;
    }
    if (p.acknowledge(i, state, stats, this.o.actors.length)) this.complete(p);
  }

  private complete(p: PendingCheckpoint): void {
    p.completing = true;
    this.clock.cancelTimer(p.timer);
    const meta = p.metadata({ jobId: this.o.jobId, jobName: this.o.jobName, config: this.o.config, maxParallelism: this.o.maxParallelism, chains: this.o.chains });
    this.track((async () => {
      try {
        meta.completedAt = wallNow();
        await this.storageOf(p.id).writeMetadata(meta);
      } catch (err) {
        p.completing = false;
        this.fail(p.id, `its metadata could not be written: ${errorMessage(err)}`, !p.savepoint);
        return;
      }
      this.pending.delete(p.id);
      if (p.savepoint) {
        this.completeSavepoint(p, meta);
        return;
      }
      this.completed.push(meta);
      this.record(p, 'completed', undefined, meta.stats);
      this.failuresInARow = 0;
      if (p.final) this.finalDone = true;
      if (p.id > this.lastNotified) {
        this.lastNotified = p.id;
        for (let i = 0; i < this.o.actors.length; i++) this.o.send(i, { kind: 'checkpoint-complete', id: p.id });
      }
      for (const older of [...this.pending.values()]) {
        // A savepoint was asked for explicitly; a newer checkpoint does not replace it.
        if (older.id < p.id && !older.completing && !older.savepoint) this.abort(older, 'aborted', `subsumed by checkpoint ${p.id}`);
      }
      try {
        // Checkpoints still in flight may stand on files this release frees; those wait for them.
        await this.o.retention.add(meta, [...this.pending.keys()]);
        await this.o.retention.settle(p.id);
      } catch (err) {
        this.history.warn(`retention after checkpoint ${p.id} failed: ${errorMessage(err)}`);
      } finally {
        this.tryTrigger();
      }
    })(), `checkpoint ${p.id}`);
  }

  /** A savepoint is complete: actors are told (sinks commit), it is never retained or deleted here. */
  private completeSavepoint(p: PendingCheckpoint, meta: CheckpointMetadata): void {
    const sp = p.savepoint!;
    this.record(p, 'completed', undefined, meta.stats);
    if (this.halted && sp.stop) {
      // The job failed meanwhile and will restart from a checkpoint: committing output up to this savepoint
      // would have it deleted and written again by the replay, and reporting a stop would be false.
      sp.reject(new CheckpointError(p.id, `savepoint ${sp.dir} is complete, but the job failed before it could stop and restarts from its latest checkpoint`));
      this.track(this.o.retention.settle(p.id), `retention after savepoint ${p.id}`);
      return;
    }
    // Only a stop commits side effects, as in Flink: output committed on an intermediate savepoint would be
    // deleted and written again when a restart restores an older checkpoint, and a reader would see it twice.
    if (sp.stop && p.id > this.lastNotified) {
      this.lastNotified = p.id;
      for (let i = 0; i < this.o.actors.length; i++) this.o.send(i, { kind: 'checkpoint-complete', id: p.id });
    }
    this.track(this.o.retention.settle(p.id), `retention after savepoint ${p.id}`);
    sp.resolve(sp.dir);
    if (sp.stop) {
      this.halt();
      this.o.onStopped?.(sp.dir, p.id);
    } else this.tryTrigger();
  }

  /** Fails a pending checkpoint; counted failures beyond the tolerated number fail the job. */
  private fail(id: number, reason: string, counted: boolean): void {
    const p = this.pending.get(id);
    if (!p || p.completing) return;
    this.abort(p, counted ? 'failed' : 'aborted', reason);
    if (this.halted) return;
    if (!counted) {
      // The periodic timer may have fired while this one was pending; nothing else would re-arm it.
      this.tryTrigger();
      return;
    }
    this.failuresInARow++;
    const tolerated = this.o.config.tolerableFailures;
    if (this.failuresInARow > tolerated) {
      this.halt();
      this.o.onFatal(new CheckpointError(id, `${this.failuresInARow} checkpoint(s) failed in a row, more than the ${tolerated} tolerated; the last: ${reason}`));
      return;
    }
    this.tryTrigger();
  }

  private abort(p: PendingCheckpoint, status: 'failed' | 'aborted', reason: string): void {
    this.clock.cancelTimer(p.timer);
    this.pending.delete(p.id);
    for (let i = 0; i < this.o.actors.length; i++) this.o.send(i, { kind: 'checkpoint-abort', id: p.id, reason });
    this.track(this.storageOf(p.id).discard(p.id, p.written), `files of aborted checkpoint ${p.id} could not be removed`);
    p.savepoint?.reject(new CheckpointError(p.id, `the savepoint failed: ${reason}`));
    this.track(this.o.retention.settle(p.id), `retention after aborted checkpoint ${p.id}`);
    this.record(p, status, reason, p.subtaskStats());
  }

  private record(p: PendingCheckpoint, status: CheckpointStatus, reason: string | undefined, subtasks: SubtaskCheckpointStats[]): void {
    this.lastEnd = this.clock.now();
    const summary = p.summary(status, reason, subtasks, this.lastEnd);
    this.history.add(summary);
    this.o.onRecorded?.(summary, p.savepoint?.dir);
  }
}
