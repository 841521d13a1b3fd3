/**
 * Keyed two-input process functions, as Flink's KeyedCoProcessFunction: two streams keyed
 * alike share one subtask's keyed state and timers, each input with its own function.
 */
import type { KeySelector } from '../../base/keygroups.js';
import type { StateKey } from '../../backends/state.js';
import type { Collector } from '../api.js';
import { KeyedProcessOperator, type KeyedContext, type OnTimerContext } from './process.js';

/** The functions of a two-input keyed process: one per input, and onTimer for the timers either sets. */
export interface KeyedCoProcessFunction<A, B, K extends StateKey, R, E extends R = R> {
  processElement1(record: A, ctx: KeyedContext<K, E>): R | void;
  processElement2(record: B, ctx: KeyedContext<K, E>): R | void;
  onTimer?(time: number, ctx: OnTimerContext<K, E>): R | void;
}

/** Runs a KeyedCoProcessFunction: the first input as a keyed process function, the second beside it. */
export class KeyedCoProcessOperator<A, B, K extends StateKey, R> extends KeyedProcessOperator<A, K, R> {
  private readonly second: (record: B, ctx: KeyedContext<K, R>) => R | void;

  constructor(keyA: KeySelector, private readonly keyB: KeySelector, fn: KeyedCoProcessFunction<A, B, K, R>) {
    super(keyA, { processElement: fn.processElement1.bind(fn), onTimer: fn.onTimer?.bind(fn) });
    this.second = fn.processElement2.bind(fn);
  }

  process2(record: unknown, out: Collector): void {
    this.key = this.enterKey(record, this.keyB) as K;
    this.out = out;
    this.emitResult(record, () => this.second(record as B, this.ctx));
  }
}
