import t from 'tap';
import { configError as sharedConfigError } from '../../support/config-error.js';
import { InjectionSchedule, parseInjections, resolveInjections, type InjectableOperator, type ParsedSpec } from '../../../runtime/recovery/failure-injection.js';
import type { FailureInjection } from '../../../runtime/actor/faults.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const OPS: InjectableOperator[] = [
  { name: 'Source: Generator', parallelism: 2, stateful: false },
  { name: 'Map', parallelism: 1, stateful: false },
  { name: 'KeyedProcess', parallelism: 3, stateful: true },
  { name: 'Window(10s, sliding)', parallelism: 1, stateful: true },
];
const RANDOM = { seed: 42, horizon: 1000 };

function configError(t: Tap, fn: () => unknown, patterns: RegExp[], msg: string): void {
  sharedConfigError(t, fn, [/option inject-failure: /, ...patterns], msg);
}

const resolve = (values: string[], ops = OPS, random = RANDOM) => resolveInjections(parseInjections(values), ops, random);

t.test('parses every form', async (t) => {
  const cases: [string, ParsedSpec][] = [
    ['records=5@KeyedProcess', { at: 'records', count: 5, target: { operator: 'KeyedProcess', subtask: 0 }, kind: 'throw', spec: 'records=5@KeyedProcess' }],
    ['records=5@Source: Generator#1!exit', { at: 'records', count: 5, target: { operator: 'Source: Generator', subtask: 1 }, kind: 'exit', spec: 'records=5@Source: Generator#1!exit' }],
    ['records=1@a@b#c#2!throw', { at: 'records', count: 1, target: { operator: 'a@b#c', subtask: 2 }, kind: 'throw', spec: 'records=1@a@b#c#2!throw' }],
    ['records=3@Alert!#0!exit', { at: 'records', count: 3, target: { operator: 'Alert!', subtask: 0 }, kind: 'exit', spec: 'records=3@Alert!#0!exit' }],
    ['checkpoint=3', { at: 'checkpoint', checkpointId: 3, target: undefined, kind: 'throw', spec: 'checkpoint=3' }],
    ['checkpoint=2@Map!exit', { at: 'checkpoint', checkpointId: 2, target: { operator: 'Map', subtask: 0 }, kind: 'exit', spec: 'checkpoint=2@Map!exit' }],
    ['restore', { at: 'restore', restore: 1, target: undefined, kind: 'throw', spec: 'restore' }],
    ['restore!exit', { at: 'restore', restore: 1, target: undefined, kind: 'exit', spec: 'restore!exit' }],
    ['restore=2@KeyedProcess#2', { at: 'restore', restore: 2, target: { operator: 'KeyedProcess', subtask: 2 }, kind: 'throw', spec: 'restore=2@KeyedProcess#2' }],
    ['restore@Map', { at: 'restore', restore: 1, target: { operator: 'Map', subtask: 0 }, kind: 'throw', spec: 'restore@Map' }],
    ['random=4', { at: 'random', failures: 4, kind: 'throw', spec: 'random=4' }],
    ['random=2!any', { at: 'random', failures: 2, kind: 'any', spec: 'random=2!any' }],
    ['random=1!exit', { at: 'random', failures: 1, kind: 'exit', spec: 'random=1!exit' }],
  ];
  for (const [value, want] of cases) t.same(parseInjections([value]), [want], value);
});

t.test('splits values on commas that start a new spec', async (t) => {
  const specs = parseInjections(['records=5@Map, checkpoint=2,restore=1!exit', 'records=1@Window(10s, sliding),random=2']);
  t.same(specs.map((s) => s.spec), ['records=5@Map', 'checkpoint=2', 'restore=1!exit', 'records=1@Window(10s, sliding)', 'random=2']);
  t.same(parseInjections([]), []);
});

t.test('malformed specs name the spec and what is expected', async (t) => {
  const cases: [string, RegExp][] = [
    ['records=5', /"records=5": records needs a target; expected records=N@OPERATOR\[#SUBTASK\]/],
    ['records=0@Map', /"records=0@Map": the record count must be an integer ≥ 1, got "0"/],
    ['records=x@Map', /"records=x@Map": the record count must be an integer ≥ 1, got "x"/],
    ['records=1.5@Map', /"records=1\.5@Map": the record count must be an integer ≥ 1/],
    ['records@Map', /"records@Map": the record count must be an integer ≥ 1, got ""/],
    ['records=99999999999999999999@Map', /the record count must be an integer/],
    ['records=5@', /"records=5@": missing operator name after "@"/],
    ['records=5@#1', /"records=5@#1": missing operator name/],
    ['records=5@Map#', /"records=5@Map#": the subtask after "#" must be an integer ≥ 0, got ""/],
    ['records=5@Map#-1', /"records=5@Map#-1": the subtask after "#" must be an integer ≥ 0, got "-1"/],
    ['records=5@Map!boom', /"records=5@Map!boom": unknown failure kind "boom"; expected !throw or !exit/],
    ['records=5@Alert!', /"records=5@Alert!": unknown failure kind ""/],
    ['records=5@Map!any', /"records=5@Map!any": !any is for random=K only/],
    ['checkpoint', /"checkpoint": the checkpoint id must be an integer ≥ 1/],
    ['checkpoint=0', /"checkpoint=0": the checkpoint id must be an integer ≥ 1, got "0"/],
    ['restore=0', /"restore=0": the restore number must be an integer ≥ 1, got "0"/],
    ['random', /"random": the number of failures must be an integer ≥ 1/],
    ['random=0', /"random=0": the number of failures must be an integer ≥ 1/],
    ['random=2@Map', /"random=2@Map": random=K takes no target/],
    ['crash=1', /"crash=1": unknown injection point; expected records=N@OPERATOR\[#SUBTASK\], checkpoint=N.* or random=K/],
    ['Records=1@Map', /"Records=1@Map": unknown injection point/],
  ];
  for (const [value, pattern] of cases) configError(t, () => parseInjections([value]), [pattern], value);
  configError(t, () => parseInjections([',random=1']), [/",random=1": empty spec/], 'leading comma');
  configError(t, () => resolve(['records=1@Map,,random=1']), [/"records=1@Map,": unknown operator "Map,"/], 'a comma before a non-spec belongs to the name');
  configError(t, () => parseInjections(['']), [/"": empty spec/], 'empty value');
  configError(t, () => parseInjections(['random=1, crash=1']), [/"random=1, crash=1": the number of failures/], 'unknown keyword after a comma stays in the previous spec');
});

t.test('resolves targets, defaults and ids', async (t) => {
  const got = resolve(['records=5@Source: Generator#1!exit', 'checkpoint=3', 'restore=2@Map', 'restore!exit', 'records=7@Window(10s, sliding)']);
  t.same(got, [
    { id: 1, point: { at: 'records', count: 5, operator: 'Source: Generator', subtask: 1 }, kind: 'exit', spec: 'records=5@Source: Generator#1!exit' },
    { id: 2, point: { at: 'checkpoint', checkpointId: 3, operator: 'KeyedProcess', subtask: 0 }, kind: 'throw', spec: 'checkpoint=3' },
    { id: 3, point: { at: 'restore', restore: 2, operator: 'Map', subtask: 0 }, kind: 'throw', spec: 'restore=2@Map' },
    { id: 4, point: { at: 'restore', restore: 1, operator: 'KeyedProcess', subtask: 0 }, kind: 'exit', spec: 'restore!exit' },
    { id: 5, point: { at: 'records', count: 7, operator: 'Window(10s, sliding)', subtask: 0 }, kind: 'throw', spec: 'records=7@Window(10s, sliding)' },
  ]);
  const mixed = resolve(['records=1@Map', 'random=2', 'checkpoint=1']);
  t.same(mixed.map((i) => [i.id, i.random ?? false]), [[1, false], [2, true], [3, true], [4, false]], 'random ones take ids in place');
});

t.test('resolution errors', async (t) => {
  configError(t, () => resolve(['records=5@Mapp']), [/"records=5@Mapp": unknown operator "Mapp"; known operators: "Source: Generator", "Map", "KeyedProcess", "Window\(10s, sliding\)"/], 'unknown operator');
  configError(t, () => resolve(['records=5@source: generator']), [/unknown operator "source: generator"/], 'names are exact');
  configError(t, () => resolve(['checkpoint=1@KeyedProcess#3']), [/"checkpoint=1@KeyedProcess#3": subtask 3 does not exist; operator "KeyedProcess" has parallelism 3 \(subtasks 0 to 2\)/], 'subtask out of range');
  const stateless = OPS.filter((o) => !o.stateful);
  configError(t, () => resolve(['checkpoint=2'], stateless), [/"checkpoint=2": no target given and the job has no stateful operator/], 'checkpoint default');
  configError(t, () => resolve(['restore'], stateless), [/"restore": no target given and the job has no stateful operator/], 'restore default');
  t.equal(resolve(['restore@Map'], stateless).length, 1, 'an explicit target needs no stateful operator');
  configError(t, () => resolve(['random=1'], []), [/"random=1": the job has no operator subtasks/], 'no operators');
  configError(t, () => resolve(['records=1@Map'], []), [/known operators: \(none\)/], 'no operators to name');
  configError(t, () => resolve(['random=1'], OPS, { seed: 1, horizon: 0 }), [/"random=1": the random horizon must be an integer ≥ 1/], 'bad horizon');
  t.equal(resolve(['records=1@Map'], OPS, { seed: 1, horizon: 0 }).length, 1, 'the horizon only matters for random specs');
});

t.test('random planning is seeded, within bounds and round-trips through the grammar', async (t) => {
  const a = resolve(['random=50!any']);
  t.same(resolve(['random=50!any']), a, 'same seed, same plan');
  t.notSame(resolve(['random=50!any'], OPS, { seed: 43, horizon: 1000 }), a, 'another seed, another plan');
  t.same(resolve(['random=50!throw']).map((i) => i.point), a.map((i) => i.point), 'the kind does not move the points');
  t.same(a.map((i) => i.id), Array.from({ length: 50 }, (_, k) => k + 1));
  const subtasks = new Set<string>();
  for (const inj of a) {
    t.ok(inj.random, 'marked random');
    if (inj.point.at !== 'records') throw new Error('random injections count records');
    const op = OPS.find((o) => o.name === inj.point.operator);
    t.ok(op && inj.point.subtask >= 0 && inj.point.subtask < op.parallelism, `${inj.spec}: subtask exists`);
    t.ok(inj.point.count >= 1 && inj.point.count <= 1000, `${inj.spec}: count within horizon`);
    subtasks.add(`${inj.point.operator}#${inj.point.subtask}`);
    const [again] = resolve([inj.spec]);
    t.same(again && { point: again.point, kind: again.kind }, { point: inj.point, kind: inj.kind }, `${inj.spec}: round-trips`);
  }
  t.ok(subtasks.size >= 5, 'spread over subtasks');
  t.same(new Set(a.map((i) => i.kind)), new Set(['throw', 'exit']), '!any draws both kinds');
  t.ok(resolve(['random=20!exit']).every((i) => i.kind === 'exit'), '!exit holds for all');
  const tiny = resolve(['random=10'], [{ name: 'Only', parallelism: 1, stateful: false }], { seed: 7, horizon: 1 });
  t.ok(tiny.every((i) => i.spec === 'records=1@Only#0!throw'), 'horizon 1 and one subtask leave one point');
  t.not(resolve(['random=1'], OPS, { seed: 2 ** 32, horizon: 1e9 })[0]!.spec, resolve(['random=1'], OPS, { seed: 0, horizon: 1e9 })[0]!.spec, 'large seeds differ from small');
});

const inj = (id: number, point: FailureInjection['point'], random = false): FailureInjection =>
  ({ id, point, kind: 'throw', spec: `#${id}`, ...(random ? { random: true } : {}) });
const ids = (list: FailureInjection[]) => list.map((i) => i.id);

t.test('explicit records and checkpoint injections stay armed until they fire', async (t) => {
  const s = new InjectionSchedule([
    inj(1, { at: 'records', count: 5, operator: 'Map', subtask: 0 }),
    inj(2, { at: 'checkpoint', checkpointId: 2, operator: 'Map', subtask: 0 }),
  ]);
  t.same(ids(s.armed(0)), [1, 2]);
  t.equal(s.remaining(), 2);
  s.fired(2);
  t.same(ids(s.armed(1)), [1]);
  t.same(ids(s.armed(2)), [1], 'not fired yet, still armed');
  s.fired(1);
  s.fired(1);
  t.same(ids(s.armed(3)), []);
  t.same(s.firedIds, [2, 1], 'in firing order, once each');
  t.equal(s.remaining(), 0);
  t.throws(() => s.fired(9), RangeError, 'unknown id');
  t.throws(() => s.armed(-1), RangeError, 'negative attempt');
});

t.test('restore=K is armed from attempt K on until it fires', async (t) => {
  const s = new InjectionSchedule([
    inj(1, { at: 'restore', restore: 1, operator: 'Map', subtask: 0 }),
    inj(2, { at: 'restore', restore: 3, operator: 'Map', subtask: 0 }),
  ]);
  t.same(ids(s.armed(0)), [], 'no restore in the first run');
  t.same(ids(s.armed(1)), [1]);
  t.same(ids(s.armed(2)), [1], 'missed in attempt 1, still armed');
  s.fired(1);
  t.same(ids(s.armed(3)), [2]);
  s.fired(2);
  t.same(ids(s.armed(4)), []);
  t.same(s.firedIds, [1, 2]);
});

t.test('random injections are armed one at a time, each in a later attempt', async (t) => {
  const rec = (n: number) => ({ at: 'records' as const, count: n, operator: 'Map', subtask: 0 });
  const s = new InjectionSchedule([inj(3, rec(3), true), inj(1, rec(1), true), inj(2, rec(2)), inj(4, rec(4), true)]);
  t.same(ids(s.armed(0)), [1, 2], 'the first random one and the explicit one');
  s.fired(1);
  t.same(ids(s.armed(0)), [2], 'the next random one waits for a later attempt');
  t.same(ids(s.armed(1)), [2, 3]);
  t.same(ids(s.armed(2)), [2, 3], 'an attempt without a failure keeps it armed');
  s.fired(3);
  s.fired(2);
  t.same(ids(s.armed(2)), []);
  t.same(ids(s.armed(3)), [4]);
  s.fired(4);
  t.same(ids(s.armed(4)), []);
  t.same(s.firedIds, [1, 3, 2, 4]);
  t.equal(s.remaining(), 0);
});
