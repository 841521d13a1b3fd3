/** A test helper: the context an operator or a reader gets, for tests that run one outside an actor. */
import { systemClock } from '../../base/clock.js';
import type { OperatorContext, Output } from '../../operators/api.js';

/** Drops what is emitted outside process(); tests that care pass their own output. */
const nowhere: Output = { collect() {}, emitWatermark() {}, emitStatus() {}, emitSide() {} };

/** A context for operator `operatorName` as subtask 1 of 1, with whatever `over` sets. */
export function operatorContext(operatorName: string, over: Partial<OperatorContext> = {}): OperatorContext {
  const clock = over.clock ?? systemClock;
  return {
    operatorName, subtask: 0, parallelism: 1, maxParallelism: 128, clock, toCoordinator: () => {}, metrics: {},
    output: nowhere, element: { timestamp: NaN },
    time: {
      watermark: () => -Infinity,
      now: () => clock.wall(),
      schedule: (time, fn) => {
        const handle = clock.setTimer(Math.max(0, time - clock.wall()), fn);
        return { cancel: () => clock.cancelTimer(handle) };
      },
    },
    ...over,
  };
}
