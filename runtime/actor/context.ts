/**
 * What an actor hands its operators: one OperatorContext per operator, sharing the subtask's
 * figures and its keyed state backend, which is created the first time a keyed operator (or
 * a restore) asks for it, for the subtask's range of key groups.
 */
import type { OperatorContext, OperatorMessage, RestoreContext } from '../../operators/api.js';
import type { KeyedStateBackend } from '../../backends/state.js';
import type { Clock } from '../../base/clock.js';
import { keyGroupRange } from '../../base/keygroups.js';
import type { ActorRestore } from './restore.js';
import { keyedBackendFor, type ActorStateSettings } from './state-settings.js';

/** Who the operators run as, and what they may reach. */
export interface ContextOptions {
  chain: number;
  subtask: number;
  parallelism: number;
  maxParallelism: number;
  clock: Clock;
  state?: ActorStateSettings;
  restore?: ActorRestore;
  checkpointing: boolean;
  send(msg: OperatorMessage): void;
}

/** The contexts of one actor's operators and the keyed state they share. */
export class OperatorContexts {
  /** Counters and figures the operators report, in the actor's statistics. */
  readonly metrics: Record<string, unknown> = {};
  private backend: KeyedStateBackend | null = null;
  private readonly restored: RestoreContext | undefined;

  constructor(private readonly o: ContextOptions) {
    const r = o.restore;
    this.restored = r && { checkpointId: r.checkpointId, previousParallelism: r.previousParallelism, inheritedSubtasks: r.inheritedSubtasks };
  }

  /** The keyed backend if anything has asked for it yet, else null (nothing to snapshot, count or dispose). */
  get createdKeyed(): KeyedStateBackend | null {
    return this.backend;
  }

  /** The subtask's keyed backend, created on first use. */
  keyedBackend(): KeyedStateBackend {
    const o = this.o;
    this.backend ??= keyedBackendFor(o.state, `${o.chain}-${o.subtask}`, keyGroupRange(o.subtask, o.parallelism, o.maxParallelism));
    return this.backend;
  }

  /** The context of operator `name` with its own output and time; a keyed operator gets the keyed backend. */
  forOperator(name: string, keyed: boolean, own: Pick<OperatorContext, 'output' | 'element' | 'time'>): OperatorContext {
    const o = this.o;
    return {
      operatorName: name, subtask: o.subtask, parallelism: o.parallelism, maxParallelism: o.maxParallelism,
      clock: o.clock, metrics: this.metrics, toCoordinator: (msg) => o.send(msg),
      keyedState: keyed ? this.keyedBackend() : undefined, restored: this.restored, checkpointing: o.checkpointing, ...own,
    };
  }
}
