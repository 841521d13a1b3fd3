import t from 'tap';
import { inheritedSubtasks, planRestore } from '../../../runtime/recovery/restore-plan.js';
import { keyGroupRange } from '../../../base/keygroups.js';
import type { PhysicalPlan } from '../../../runtime/plan/plan.js';
import type { CheckpointMetadata } from '../../../runtime/storage/metadata.js';
import { CheckpointStorage } from '../../../runtime/storage/checkpoint-storage.js';
import { ConfigError } from '../../../base/errors.js';
import { checkCompatible, type RestorePoint } from '../../../runtime/recovery/restore-point.js';

const MAX = 128;

function plan(sources: number, keyed: number): PhysicalPlan {
  return {
    maxParallelism: MAX, edges: [],
    chains: [
      { index: 0, nodeIds: [0], name: 'Source', parallelism: sources, isSource: true },
      { index: 1, nodeIds: [1], name: 'Keyed', parallelism: keyed, isSource: false },
    ],
  };
}

/** A checkpoint taken at the given parallelism: one position per source subtask, one keyed handle per keyed subtask. */
function point(p: number): RestorePoint {
  const subtasks: CheckpointMetadata['subtasks'] = [];
  for (let i = 0; i < p; i++) subtasks.push({ chain: 0, subtask: i, parallelism: p, sourcePosition: [{ next: 100 + i, stride: p }] });
  for (let i = 0; i < p; i++) {
    subtasks.push({ chain: 1, subtask: i, parallelism: p, keyed: { backend: 'lmdb', mode: 'full', keyGroups: keyGroupRange(i, p, MAX), files: [], written: [], entries: 0 } });
  }
  const meta = { checkpointId: 7, maxParallelism: MAX, chains: ['Source', 'Keyed'], subtasks } as unknown as CheckpointMetadata;
  return { meta, storage: new CheckpointStorage('/ckpt/job'), flat: false };
}

t.test('former subtask k goes to new subtask k mod q; every subtask also lists itself', async (t) => {
  t.same(inheritedSubtasks(0, 1, 3), [0, 1, 2]);
  t.same(inheritedSubtasks(1, 3, 2), [1]);
  t.same(inheritedSubtasks(2, 3, 2), []);
  const r = planRestore(plan(3, 3), point(2), false);
  t.same(r.slice(0, 3).map((a) => a.inheritedSubtasks), [[0], [1], [2]], 'subtask 2 settles its own earlier output although it inherits nothing');
  t.same(r.slice(0, 3).map((a) => a.sources?.map((s) => s.subtask)), [[0], [1], []], 'but it gets no source split');
  t.same(r.map((a) => a.previousParallelism), [2, 2, 2, 2, 2, 2]);
});

for (const [from, to] of [[2, 3], [3, 1], [1, 2], [3, 2]]) {
  t.test(`keyed handles ${from}→${to}: each new subtask gets exactly the handles overlapping its key groups`, async (t) => {
    const r = planRestore(plan(to, to), point(from), true).slice(to);
    for (let i = 0; i < to; i++) {
      const mine = keyGroupRange(i, to, MAX);
      for (let k = 0; k < from; k++) {
        const theirs = keyGroupRange(k, from, MAX);
        const overlaps = theirs.start <= mine.end && theirs.end >= mine.start;
        t.equal(r[i].keyed.some((h) => h.keyGroups.start === theirs.start), overlaps, `new ${i} ${overlaps ? 'reads' : 'skips'} former ${k}`);
      }
      t.equal(r[i].continueChain, true);
      t.equal(r[i].checkpointId, 7);
    }
    const splits = planRestore(plan(to, to), point(from), true).slice(0, to).flatMap((a) => a.sources!.map((s) => s.subtask));
    t.same(splits.sort(), Array.from({ length: from }, (_, k) => k), 'every former source split goes to exactly one new subtask');
  });
}

t.test('a restart before any checkpoint restores nothing and starts the sources over', async (t) => {
  const r = planRestore(plan(2, 2), null, true);
  t.same(r.map((a) => [a.checkpointId, a.keyed.length, a.sources, a.inheritedSubtasks]), [[0, 0, undefined, [0]], [0, 0, undefined, [1]], [0, 0, undefined, [0]], [0, 0, undefined, [1]]]);
});

t.test('a checkpoint of another job shape or key-group count is refused, naming the option', async (t) => {
  const p = point(2);
  t.throws(() => checkCompatible(p.meta, { ...plan(2, 2), maxParallelism: 256 }, 'from-savepoint'), ConfigError);
  t.throws(() => checkCompatible(p.meta, { ...plan(2, 2), maxParallelism: 256 }, 'from-savepoint'), /from-savepoint: the checkpoint has 128 key groups, the job 256/);
  const renamed = plan(2, 2);
  renamed.chains[1].name = 'Other';
  t.throws(() => checkCompatible(p.meta, renamed, 'from-checkpoint'), /operator chains \[Source; Keyed\], this job has \[Source; Other\]/);
  t.doesNotThrow(() => checkCompatible(p.meta, plan(3, 1), 'from-checkpoint'), 'another parallelism is fine');
});

t.test('channel state of an unaligned checkpoint goes back to its own subtask, and only at the same parallelism', async (t) => {
  const p = point(2);
  const file = { path: 'chk-7/Keyed_1-channel-state-ab.sfs', bytes: 10, sha256: 'x', entries: 2 };
  p.meta.subtasks[3].channelState = { file, inputBatches: 1, outputBatches: 1 };
  const same = planRestore(plan(2, 2), p, true);
  t.same(same.map((a) => a.channelState?.file.path), [undefined, undefined, undefined, file.path], 'keyed subtask 1 replays what it kept');
  for (const [sources, keyed] of [[2, 3], [1, 2]]) {
    t.throws(() => planRestore(plan(sources, keyed), p, true), {
      name: 'ConfigError',
      message: new RegExp(`checkpoint 7 was taken unaligned and holds in-flight data .*only be restored at the parallelism it was taken with: ${sources === 2 ? 'Keyed ran at 2, not 3' : 'Source ran at 2, not 1'}.*take a savepoint`),
    });
  }
  delete p.meta.subtasks[3].channelState;
  t.doesNotThrow(() => planRestore(plan(1, 3), p, true), 'an aligned checkpoint rescales');
});
