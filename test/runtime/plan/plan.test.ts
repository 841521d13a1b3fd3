import t from 'tap';
import { configError } from '../../support/config-error.js';
import { graphOf, StreamEnvironment } from '../../../runtime/api/environment.js';
import { actorName, buildPlan, channelsOf, type PhysicalPlan } from '../../../runtime/plan/plan.js';
import { buildJob, defineJob, planFingerprint } from '../../../runtime/api/job.js';
import { CollectionReader } from '../../../operators/sources/collection.js';

/** A splittable source (no parallelism limit). */
function splittable(env: StreamEnvironment, name = 'Source: Split') {
  return env.addSource<number>(name, { createReader: () => new CollectionReader([1, 2, 3]) });
}

const chainNames = (plan: PhysicalPlan) => plan.chains.map((c) => `${c.name} x${c.parallelism}`);
const edgeList = (plan: PhysicalPlan) => plan.edges.map((e) => `${e.from}>${e.to} ${e.partitioning}`);

t.test('forward-connected operators of equal parallelism are chained', async (t) => {
  const env = new StreamEnvironment();
  env.fromCollection([1, 2, 3]).map((x) => x * 2).filter((x) => x > 2).collect();
  const plan = buildPlan(graphOf(env));
  t.same(chainNames(plan), ['Source: Collection -> Map -> Filter -> collect x1']);
  t.same(plan.chains[0]!.nodeIds, [0, 1, 2, 3], 'head first');
  t.equal(plan.chains[0]!.isSource, true);
  t.same(plan.edges, []);
  t.same(channelsOf(plan), []);
  t.equal(plan.maxParallelism, 128);
  t.equal(actorName(plan, 0, 0), 'Source: Collection -> Map -> Filter -> collect (1/1)');

  const env4 = new StreamEnvironment().setParallelism(4);
  splittable(env4).map((x) => x).discard();
  const p4 = buildPlan(graphOf(env4));
  t.same(chainNames(p4), ['Source: Split -> Map -> Sink: Discard x4'], 'chained at parallelism 4 too');
  t.equal(actorName(p4, 0, 3), 'Source: Split -> Map -> Sink: Discard (4/4)');
});

t.test('keyBy breaks the chain with a hash edge', async (t) => {
  const env = new StreamEnvironment();
  const selector = (x: number) => x % 10;
  env.fromCollection([1, 2, 3]).map((x) => x).keyBy(selector).process<number>((r, ctx) => ctx.emit(r)).discard();
  const plan = buildPlan(graphOf(env));
  t.same(chainNames(plan), ['Source: Collection -> Map x1', 'KeyedProcess -> Sink: Discard x1']);
  t.same(edgeList(plan), ['0>1 hash']);
  t.equal(plan.edges[0]!.keySelector, selector, 'the key selector travels with the edge');
  t.equal(plan.chains[1]!.isSource, false);
  t.same(channelsOf(plan), [{ edge: 0, from: 0, to: 0 }]);
});

t.test('rebalance breaks the chain', async (t) => {
  const env = new StreamEnvironment();
  env.fromCollection([1]).map((x) => x).rebalance().filter(() => true).collect();
  const plan = buildPlan(graphOf(env));
  t.same(chainNames(plan), ['Source: Collection -> Map x1', 'Filter -> collect x1']);
  t.same(edgeList(plan), ['0>1 rebalance']);
});

t.test('a parallelism change breaks the chain and defaults to rebalance', async (t) => {
  const env = new StreamEnvironment().setParallelism(2);
  env.fromCollection([1]).map((x) => x).filter(() => true).setParallelism(3).collect('out').setParallelism(3);
  const plan = buildPlan(graphOf(env));
  t.same(chainNames(plan), ['Source: Collection x1', 'Map x2', 'Filter -> out x3'], 'fromCollection is capped at 1');
  t.same(edgeList(plan), ['0>1 rebalance', '1>2 rebalance']);
  t.equal(channelsOf(plan).length, 1 * 2 + 2 * 3);
});

t.test('disableChaining keeps an operator out of both its neighbours\' chains', async (t) => {
  const env = new StreamEnvironment();
  env.fromCollection([1]).map((x) => x).filter(() => true).disableChaining().collect();
  const plan = buildPlan(graphOf(env));
  t.same(chainNames(plan), ['Source: Collection -> Map x1', 'Filter x1', 'collect x1']);
  t.same(edgeList(plan), ['0>1 forward', '1>2 forward'], 'still forward: only the fusing is off');
  t.same(channelsOf(plan), [{ edge: 0, from: 0, to: 0 }, { edge: 1, from: 0, to: 0 }]);
});

t.test('startNewChain cuts only the link to the predecessor', async (t) => {
  const env = new StreamEnvironment();
  env.fromCollection([1]).map((x) => x).filter(() => true).startNewChain().collect();
  const plan = buildPlan(graphOf(env));
  t.same(chainNames(plan), ['Source: Collection -> Map x1', 'Filter -> collect x1']);
  t.same(edgeList(plan), ['0>1 forward']);
});

t.test('disableOperatorChaining gives every operator its own chain', async (t) => {
  const env = new StreamEnvironment().setParallelism(3).disableOperatorChaining();
  splittable(env).map((x) => x).filter(() => true).discard();
  const plan = buildPlan(graphOf(env));
  t.same(chainNames(plan), ['Source: Split x3', 'Map x3', 'Filter x3', 'Sink: Discard x3']);
  t.same(edgeList(plan), ['0>1 forward', '1>2 forward', '2>3 forward']);
  const chans = channelsOf(plan);
  t.equal(chans.length, 9, 'forward: one channel per subtask per edge');
  t.ok(chans.every((c) => c.from === c.to), 'forward channels connect equal subtask indexes');
  t.same(chans.filter((c) => c.edge === 1), [{ edge: 1, from: 0, to: 0 }, { edge: 1, from: 1, to: 1 }, { edge: 1, from: 2, to: 2 }]);
});

t.test('default partitioning: forward for equal parallelism, else rebalance', async (t) => {
  const env = new StreamEnvironment().setParallelism(2).disableOperatorChaining();
  const src = splittable(env);
  src.map((x) => x).setParallelism(2).filter(() => true).setParallelism(5).map((x) => x, 'Narrow').setParallelism(1).discard();
  const plan = buildPlan(graphOf(env));
  t.same(edgeList(plan), ['0>1 forward', '1>2 rebalance', '2>3 rebalance', '3>4 rebalance']);
  t.same(plan.chains.map((c) => c.parallelism), [2, 2, 5, 1, 2]);
});

t.test('channelsOf: forward has p channels, all-to-all has p * q', async (t) => {
  const env = new StreamEnvironment().setParallelism(3);
  splittable(env)
    .map((x) => x).setParallelism(2)
    .keyBy((x) => x).process<number>((r, ctx) => ctx.emit(r)).setParallelism(4)
    .broadcast().map((x) => x, 'AfterBroadcast').setParallelism(4)
    .forward().filter(() => true).startNewChain().setParallelism(4)
    .discard().setParallelism(4);
  const plan = buildPlan(graphOf(env));
  t.same(edgeList(plan), ['0>1 rebalance', '1>2 hash', '2>3 broadcast', '3>4 forward']);
  const chans = channelsOf(plan);
  const perEdge = plan.edges.map((e) => chans.filter((c) => c.edge === e.index).length);
  t.same(perEdge, [3 * 2, 2 * 4, 4 * 4, 4]);
  const keys = new Set(chans.map((c) => `${c.edge}:${c.from}>${c.to}`));
  t.equal(keys.size, chans.length, 'no channel listed twice');
  t.ok(chans.every((c) => c.from < plan.chains[plan.edges[c.edge]!.from]!.parallelism && c.to < plan.chains[plan.edges[c.edge]!.to]!.parallelism), 'indexes in range');
  t.same(channelsOf(plan), chans, 'deterministic order');
});

t.test('an explicit forward between different parallelisms is rejected, naming both operators', async (t) => {
  const env = new StreamEnvironment();
  splittable(env, 'Numbers').forward().map((x) => x, 'Doubler').setParallelism(2).discard();
  configError(t, () => buildPlan(graphOf(env)), [/"Numbers" \(parallelism 1\)/, /"Doubler" \(parallelism 2\)/, /forward/], 'forward 1 -> 2');
});

t.test('fromCollection with setParallelism(2) is rejected', async (t) => {
  const env = new StreamEnvironment();
  env.fromCollection([1, 2]).setParallelism(2).discard();
  configError(t, () => buildPlan(graphOf(env)), [/Source: Collection/, /at most 1, got 2/], 'collection x2');
});

t.test('parallelism above maxParallelism is rejected', async (t) => {
  const env = new StreamEnvironment().setMaxParallelism(4);
  splittable(env).map((x) => x, 'Wide').setParallelism(5).discard();
  configError(t, () => buildPlan(graphOf(env)), [/"Wide"/, /5 exceeds max parallelism 4/], 'parallelism 5, max 4');

  const ok = new StreamEnvironment().setMaxParallelism(4);
  splittable(ok).map((x) => x).setParallelism(4).discard();
  t.equal(buildPlan(graphOf(ok)).maxParallelism, 4, 'parallelism equal to maxParallelism is fine');

  const wide = new StreamEnvironment();
  splittable(wide).setParallelism(100).discard();
  t.equal(buildPlan(graphOf(wide)).maxParallelism, 256, 'default maxParallelism derives from the largest parallelism');
});

t.test('a job without operators is rejected', async (t) => {
  configError(t, () => buildPlan(graphOf(new StreamEnvironment())), [/no operators/], 'empty job');
});

t.test('planFingerprint is deterministic and changes when parallelism changes', async (t) => {
  const job = defineJob<{ p: number }>((env, { p }) => {
    splittable(env).map((x) => x).setParallelism(p).keyBy((x) => x).reduce((a, b) => a + b).discard();
  });
  const a = planFingerprint(buildJob(job, { p: 2 }).plan);
  const b = planFingerprint(buildJob(job, { p: 2 }).plan);
  const c = planFingerprint(buildJob(job, { p: 3 }).plan);
  t.equal(a, b, 'same job, same fingerprint');
  t.not(a, c, 'map parallelism 2 vs 3');
  const d = planFingerprint(buildJob(job, { p: 2 }, { parallelism: 2 }).plan);
  t.not(a, d, 'job-wide parallelism override changes it too');
  const e = planFingerprint(buildJob(job, { p: 2 }, { maxParallelism: 256 }).plan);
  t.not(a, e, 'maxParallelism changes it');
});
