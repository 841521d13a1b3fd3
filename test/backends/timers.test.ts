import t from 'tap';
import type { KeyedStateHandle } from '../../backends/snapshot.js';
import type { DueTimer, KeyedStateBackend } from '../../backends/state.js';
import { keyGroupOf, keyGroupRange } from '../../base/keygroups.js';
import type { BackendKind, CheckpointMode } from '../../base/kinds.js';
import { mulberry32 } from '../../base/random.js';
import { enter, makeBackend, MAX_PARALLELISM } from '../support/backends.js';
import { MemoryStorage } from '../support/memory-storage.js';

type Combo = { kind: BackendKind; mode: CheckpointMode };
const ALL: Combo[] = [{ kind: 'heap', mode: 'full' }, { kind: 'lmdb', mode: 'full' }, { kind: 'lmdb', mode: 'incremental' }];
const name = (c: Combo) => `${c.kind} ${c.mode}`;

/** A plain model of timers: "key@time" for each one set. */
class TimerModel {
  readonly set = new Set<string>();
  register(key: string, time: number): void {
    this.set.add(`${key}@${time}`);
  }
  delete(key: string, time: number): void {
    this.set.delete(`${key}@${time}`);
  }
  /** The due ones, removed, sorted the way the test compares them. */
  take(upTo: number, inGroups?: { start: number; end: number }): string[] {
    const due = [...this.set].filter((s) => {
      const [key, time] = s.split('@');
      const g = keyGroupOf(key, MAX_PARALLELISM);
      return Number(time) <= upTo && (!inGroups || (g >= inGroups.start && g <= inGroups.end));
    });
    for (const d of due) this.set.delete(d);
    return due.sort();
  }
}

/** Sets and deletes timers at random on the backend and the model alike. */
function randomTimers(b: KeyedStateBackend, model: TimerModel, seed: number, n: number): void {
  const rnd = mulberry32(seed);
  const timers = b.timerState('timers:event');
  for (let i = 0; i < n; i++) {
    const key = `k${Math.floor(rnd() * 300)}`;
    const time = Math.floor(rnd() * 10_000) - 2000;
    enter(b, key);
    if (rnd() < 0.8) {
      timers.register(time);
      model.register(key, time);
    } else {
      timers.delete(time);
      model.delete(key, time);
    }
  }
}

/** Takes every due timer in rounds of `limit`, checking each key group's are in time order. */
function takeAll(t: Tap, b: KeyedStateBackend, upTo: number, limit = 50): string[] {
  const timers = b.timerState('timers:event');
  const out: DueTimer[] = [];
  for (let round = 0; round < 10_000; round++) {
    const due = timers.takeDue(upTo, limit);
    t.ok(due.length <= limit, 'no more than the limit');
    if (due.length === 0) break;
    out.push(...due);
  }
  const lastInGroup = new Map<number, number>();
  for (const d of out) {
    if ((lastInGroup.get(d.keyGroup) ?? -Infinity) > d.time) t.fail(`key group ${d.keyGroup}: timer ${d.time} after a later one`);
    lastInGroup.set(d.keyGroup, d.time);
  }
  return out.map((d) => `${d.key}@${d.time}`).sort();
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

for (const combo of ALL) {
  t.test(`${name(combo)}: timers are taken when due, in time order per key group, at most as many as asked`, async (t) => {
    const b = makeBackend({ ...combo, tuning: { flushEntries: 64, maxInFlight: 1000 } });
    t.teardown(() => b.dispose());
    const model = new TimerModel();
    randomTimers(b, model, 1, 3000);
    const timers = b.timerState('timers:event');
    t.equal(timers.earliest(), Math.min(...[...model.set].map((s) => Number(s.split('@')[1]))), 'earliest is the smallest time held');
    const earliestOfModel = () => Math.min(...[...model.set].map((s) => Number(s.split('@')[1])));
    const firstFew = timers.takeDue(-1000, 7).map((d) => `${d.key}@${d.time}`);
    t.equal(firstFew.length, 7, 'a round stops at its limit, inside a key group');
    for (const d of firstFew) model.delete(...(d.split('@').map((x, i) => (i === 0 ? x : Number(x))) as [string, number]));
    t.equal(timers.earliest(), earliestOfModel(), 'after a round stopped at its limit, earliest is the smallest time left');
    t.same(takeAll(t, b, 0), model.take(0), 'everything due at 0, nothing later');
    t.equal(timers.earliest(), earliestOfModel(), 'after the due ones, earliest is the next one');
    t.same(timers.takeDue(0, 100), [], 'taken timers are gone');
    enter(b, 'k1');
    timers.register(-5000);
    t.same(timers.takeDue(0, 10).map((d) => [d.key, d.time]), [['k1', -5000]], 'a timer set in the past is due at once');
    t.same(takeAll(t, b, Infinity), model.take(Infinity), 'the final watermark takes every timer');
    t.equal(timers.earliest(), Infinity, 'none left');
    t.equal(b.entryCount(), 0, 'and no entries');
    enter(b, 'k1');
    timers.register(5);
    timers.register(Infinity);
    t.same(takeAll(t, b, Infinity).sort(), ['k1@5', 'k1@Infinity'], 'a key group emptied at the final watermark is found again when set anew, and a timer at +∞ fires');
    enter(b, 'x');
    t.throws(() => timers.register(Number.NaN), /needs a time in milliseconds/);
    t.throws(() => b.valueState('timers:event'), /is timer state, not value state/);
  });
}

/** A checkpoint of `b` (id), completed. */
async function checkpoint(b: KeyedStateBackend, storage: MemoryStorage, id: number): Promise<KeyedStateHandle> {
  const h = await b.snapshot(id, storage.target(id)).run();
  b.notifyCheckpointComplete(id);
  return h;
}

for (const from of ALL) {
  t.test(`${name(from)}: timers are in every snapshot, restore in either backend, and rescale with their key groups`, async (t) => {
    const storage = new MemoryStorage();
    const b = makeBackend({ ...from, maxDeltaRatio: 100, tuning: { flushEntries: 64, maxInFlight: 1000 } });
    t.teardown(() => b.dispose());
    const model = new TimerModel();
    randomTimers(b, model, 2, 2000);
    await checkpoint(b, storage, 1);
    randomTimers(b, model, 3, 800);
    takeAll(t, b, 1000);
    model.take(1000);
    const handle = await checkpoint(b, storage, 2);
    if (from.mode === 'incremental') t.equal(handle.files.length, 2, 'the second checkpoint is a delta, with the fired timers as deletions');
    for (const to of ALL) {
      const whole = makeBackend(to);
      await whole.restore([handle], storage);
      const copy = new TimerModel();
      for (const s of model.set) copy.set.add(s);
      t.same(takeAll(t, whole, Infinity), copy.take(Infinity), `restored whole into ${name(to)}: exactly the timers held at the checkpoint`);
      await whole.dispose();
      const halves = [0, 1].map((i) => keyGroupRange(i, 2, MAX_PARALLELISM));
      for (const range of halves) {
        const part = makeBackend({ ...to, keyGroups: range });
        await part.restore([handle], storage);
        const mine = new TimerModel();
        for (const s of model.set) mine.set.add(s);
        t.same(takeAll(t, part, Infinity), mine.take(Infinity, range), `rescaled into ${name(to)} key groups ${range.start}-${range.end}: its own timers only`);
        await part.dispose();
      }
    }
  });
}
