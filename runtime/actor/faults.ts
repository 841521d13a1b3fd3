/**
 * The actor's side of failure injection: the injections armed for this subtask fire at
 * their point (after N records of an operator, in the asynchronous part of checkpoint n,
 * during the restore) as a thrown InjectedFailure or a hard exit of the worker thread. The
 * coordinator is told first, so an injection fires once per job even when its thread dies.
 */
import { isMainThread } from 'node:worker_threads';
import { InjectedFailure, type ErrorOrigin } from '../../base/errors.js';
import type { ControlFromActor } from '../transport/protocol.js';

/** How an injected failure ends the subtask. */
export type FailureKind = 'throw' | 'exit';

/** Where and when a failure is injected. */
export type InjectionPoint =
  | { at: 'records'; count: number; operator: string; subtask: number }
  | { at: 'checkpoint'; checkpointId: number; operator: string; subtask: number }
  | { at: 'restore'; restore: number; operator: string; subtask: number };

/** One failure to inject, resolved against the job. */
export interface FailureInjection {
  id: number;
  point: InjectionPoint;
  kind: FailureKind;
  /** As the user wrote it (for random ones: the generated point in the same grammar). */
  spec: string;
  /** Set when it came from `random=K`; such injections are armed one at a time. */
  random?: boolean;
}

/** Fires the injections armed for one subtask. */
export class FaultInjector {
  private readonly armed: FailureInjection[];
  private readonly done = new Set<number>();

  constructor(
    injections: FailureInjection[],
    subtask: number,
    private readonly origin: ErrorOrigin,
    private readonly send: (msg: ControlFromActor) => void,
  ) {
    this.armed = injections.filter((i) => i.point.subtask === subtask);
  }

  /** True when nothing is armed here (the hot path then stays unwrapped). */
  get idle(): boolean {
    return this.armed.length === 0;
  }

  /** Fires now: tells the coordinator, then throws or ends the thread. */
  fire(inj: FailureInjection): never {
    this.done.add(inj.id);
    this.send({ kind: 'injected', id: inj.id });
    if (inj.kind === 'exit' && !isMainThread) process.exit(70);
    throw new InjectedFailure(inj.spec, this.origin);
  }

  /** Whether a record count is armed for operator `name` (its records then pass through a counting wrapper). */
  counts(name: string): boolean {
    return this.armed.some((i) => i.point.at === 'records' && i.point.operator === name);
  }

  /** Wraps the function feeding records to operator `name` so that it fails after the armed record count. */
  countRecords(name: string, next: (record: unknown) => void): (record: unknown) => void {
    const inj = this.armed.find((i) => i.point.at === 'records' && i.point.operator === name);
    if (!inj || inj.point.at !== 'records') return next;
    const limit = inj.point.count;
    let seen = 0;
    return (r) => {
      next(r);
      if (++seen === limit && !this.done.has(inj.id)) this.fire(inj);
    };
  }

  /**
   * The injection armed for the asynchronous part of checkpoint `id` at an operator of this chain, if any.
   * An injection for checkpoint N also fires at a later id: a failure elsewhere may abort checkpoint N
   * before it reaches this subtask, and ids are never reused, so the injection would otherwise never fire.
   */
  duringCheckpoint(id: number, operators: string[]): FailureInjection | undefined {
    return this.armed.find((i) => i.point.at === 'checkpoint' && i.point.checkpointId <= id && operators.includes(i.point.operator) && !this.done.has(i.id));
  }

  /** The injection armed for this restore at an operator of this chain, if any. */
  duringRestore(operators: string[]): FailureInjection | undefined {
    return this.armed.find((i) => i.point.at === 'restore' && operators.includes(i.point.operator) && !this.done.has(i.id));
  }
}
