/** Operators of the user's own after keyBy: the runtime sets each record's key before handing it on. */
import type { KeySelector } from '../../base/keygroups.js';
import type { Collector, OperatorContext, Output, StreamOperator } from '../api.js';
import { KeyedOperator } from './keyed-operator.js';

/** Runs an operator of the user's own after keyBy, with the record's key set as current before each record. */
export class KeyedCustomOperator<I, O> extends KeyedOperator {
  constructor(keySelector: KeySelector, private readonly inner: StreamOperator<I, O>) {
    super(keySelector);
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    await this.inner.open(ctx);
  }

  process(record: unknown, out: Collector): void {
    this.enterKey(record);
    this.inner.process(record as I, out as Collector<O>);
  }

  override blocked(): Promise<void> | null {
    const own = this.inner.blocked?.() ?? null;
    const state = super.blocked();
    return own && state ? Promise.all([own, state]).then(() => undefined) : (own ?? state);
  }

  finish(out: Output): void | Promise<void> {
    return this.inner.finish?.(out as Output<O>);
  }

  processWatermark(time: number, out: Output): void {
    if (this.inner.processWatermark) this.inner.processWatermark(time, out as Output<O>);
    else out.emitWatermark(time);
  }

  processStatus(idle: boolean, out: Output): void {
    if (this.inner.processStatus) this.inner.processStatus(idle, out as Output<O>);
    else out.emitStatus(idle);
  }

  close(): void | Promise<void> {
    return this.inner.close?.();
  }

  snapshotState(id: number): void | Promise<void> {
    return this.inner.snapshotState?.(id);
  }

  notifyCheckpointComplete(id: number): void {
    this.inner.notifyCheckpointComplete?.(id);
  }
}

