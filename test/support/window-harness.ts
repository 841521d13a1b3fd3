/** A test helper: one window operator over a heap backend, fed by hand, its watermark moved by hand, everything it emits recorded as lines. */
import { HeapKeyedStateBackend } from '../../backends/heap/backend.js';
import type { Output } from '../../operators/api.js';
import type { WindowAssigner } from '../../operators/windows/assigners.js';
import type { WindowFunction } from '../../operators/windows/functions.js';
import { WindowOperator } from '../../operators/windows/window-operator.js';
import { operatorContext } from './context.js';

/** The records the harness feeds: a key and a number. */
export interface Rec { key: string; v: number }

/** An operator over `assigner` with `fn`; results are JSON lines, watermarks `watermark W`, late records `late {…}`. */
export function windowHarness(assigner: WindowAssigner, fn: WindowFunction<Rec, string>, allowedLatenessMs = 0, lateToSideOutput = false) {
  const backend = new HeapKeyedStateBackend({ keyGroups: { start: 0, end: 127 } });
  let watermark = -Infinity;
  const emitted: string[] = [];
  const output: Output = {
    collect: (r) => emitted.push(JSON.stringify(r)),
    emitWatermark: (w) => emitted.push(`watermark ${w}`),
    emitStatus: () => {},
    emitSide: (tag, r) => emitted.push(`${tag} ${JSON.stringify(r)}`),
  };
  const ctx = operatorContext('Window', {
    keyedState: backend, output,
    time: { watermark: () => watermark, now: () => 0, schedule: () => ({ cancel() {} }) },
  });
  const op = new WindowOperator<Rec, string>((r: Rec) => r.key, { assigner, allowedLatenessMs, lateToSideOutput, fn });
  op.open(ctx);
  return {
    backend, emitted, ctx,
    /** The results emitted so far, without the watermarks. */
    results: () => emitted.filter((e) => !e.startsWith('watermark ')),
    add(key: string, v: number, ts: number) {
      ctx.element.timestamp = ts;
      op.process({ key, v }, output);
    },
    advance(to: number) {
      watermark = to;
      op.processWatermark(to, output);
    },
  };
}
