/**
 * Plans of dataflows with many inputs: a union, a two-input operator and a fan-out each start
 * a new chain; edges say which input of a two-input operator they feed; a malformed graph is
 * refused naming the operator.
 */
import t from 'tap';
import { configError } from '../../support/config-error.js';
import { graphOf, StreamEnvironment } from '../../../runtime/api/environment.js';
import { buildPlan, channelsOf, type PhysicalPlan } from '../../../runtime/plan/plan.js';
import { tumbling } from '../../../operators/windows/assigners.js';

const chainNames = (plan: PhysicalPlan) => plan.chains.map((c) => `${c.name} x${c.parallelism}`);
const edgeList = (plan: PhysicalPlan) => plan.edges.map((e) => `${e.from}>${e.to} ${e.partitioning} in${e.input}`);

t.test('a union is no operator: its consumer reads every stream and heads its own chain', async (t) => {
  const env = new StreamEnvironment();
  const a = env.fromCollection([1], 'Source: a');
  const b = env.fromCollection([2], 'Source: b');
  a.union(b).map((x) => x).collect();
  const plan = buildPlan(graphOf(env));
  t.same(chainNames(plan), ['Source: a x1', 'Source: b x1', 'Map -> collect x1'], 'the map is not fused into either source');
  t.same(edgeList(plan), ['0>2 forward in0', '1>2 forward in0'], 'both streams feed the single input');
  t.equal(channelsOf(plan).length, 2, 'one channel per stream');
});

t.test('a two-input operator starts a new chain, each edge naming its input', async (t) => {
  for (const parallelism of [1, 2, 3]) {
    const env = new StreamEnvironment().setParallelism(parallelism);
    const left = env.fromCollection([1], 'Source: left').map((x) => x, 'Left');
    const right = env.fromCollection(['a'], 'Source: right');
    left.connect(right).keyBy((x) => String(x), (s) => s).process<string>({
      processElement1: (x, ctx) => ctx.emit(String(x)),
      processElement2: (s, ctx) => ctx.emit(s),
    }, 'Both').collect('out');
    const plan = buildPlan(graphOf(env));
    const expected = parallelism === 1
      ? ['Source: left -> Left x1', 'Source: right x1', 'Both -> out x1']
      : ['Source: left x1', `Left x${parallelism}`, 'Source: right x1', `Both -> out x${parallelism}`];
    t.same(chainNames(plan), expected, `p=${parallelism}: the two-input operator heads a chain`);
    const both = plan.chains.length - 1;
    t.same(plan.edges.filter((e) => e.to === both).map((e) => `${e.partitioning} in${e.input}`), ['hash in0', 'hash in1'], `p=${parallelism}: hashed into inputs 1 and 2`);
  }
});

t.test('window join and interval join are two-input operators after hash edges', async (t) => {
  const env = new StreamEnvironment().setParallelism(2);
  const a = env.fromCollection([1], 'Source: a');
  const b = env.fromCollection([2], 'Source: b');
  a.join(b).where((x) => x).equalTo((y) => y).window(tumbling(10)).apply((x, y) => x + y, 'Window join').collect('w');
  a.keyBy((x) => x).intervalJoin(b.keyBy((y) => y)).between(-5, 5).process((x, y) => x * y, 'Interval join').collect('i');
  const plan = buildPlan(graphOf(env));
  const into = (name: string) => {
    const c = plan.chains.findIndex((ch) => ch.name === name);
    return plan.edges.filter((e) => e.to === c).map((e) => `${plan.chains[e.from].name} ${e.partitioning}`).sort();
  };
  t.ok(into('Interval join -> i').length === 2 && into('Interval join -> i').every((e) => e.endsWith('hash')), 'the interval join reads both sides hashed');
  t.ok(into('Window join -> w').length >= 1 && into('Window join -> w').every((e) => e.endsWith('hash')), 'the window join reads both sides hashed');
  t.same(plan.chains.filter((c) => c.name.startsWith('Source')).map((c) => c.name), ['Source: a', 'Source: b'], 'a source feeding two operators is no chain head of either');
});

t.test('fan-out: a stream feeding several operators keeps them out of its chain', async (t) => {
  const env = new StreamEnvironment();
  const s = env.fromCollection([1, 2]).map((x) => x, 'Shared');
  s.filter((x) => x > 1, 'Big').collect('big');
  s.collect('all');
  const plan = buildPlan(graphOf(env));
  t.same(chainNames(plan), ['Source: Collection -> Shared x1', 'Big -> big x1', 'all x1']);
  t.same(edgeList(plan), ['0>1 forward in0', '0>2 forward in0']);
});

t.test('a graph whose edges do not match its operators\' inputs is refused, naming the operator', async (t) => {
  const build = (mutate: (g: ReturnType<typeof graphOf>) => void) => () => {
    const env = new StreamEnvironment();
    env.fromCollection([1], 'Source: a').connect(env.fromCollection([2], 'Source: b'))
      .keyBy((x) => x, (y) => y).process<number>({ processElement1: () => {}, processElement2: () => {} }, 'Pair').discard();
    const g = graphOf(env);
    mutate(g);
    return buildPlan(g);
  };
  configError(t, build((g) => { for (const e of g.edges) delete e.input; }), [/operator "Pair" has no input 2/], 'both edges on input 1');
  configError(t, build((g) => { for (const e of g.edges) if (e.input === 1) e.input = 2; }), [/operator "Pair" has no input 2/], 'the second input fed nothing');
  configError(t, build((g) => { g.edges.push({ from: 0, to: 2, partitioning: 'hash', keySelector: (x) => x, input: 2 }); }),
    [/operator "Pair" takes 2 input\(s\), but an edge feeds input 3/], 'an edge past the last input');
  configError(t, build((g) => { g.edges.push({ from: 0, to: 3, input: 1 }); }), [/operator "Sink: Discard" takes 1 input\(s\), but an edge feeds input 2/], 'a second input on a one-input operator');
});
