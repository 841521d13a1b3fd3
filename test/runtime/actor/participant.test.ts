/** An actor's part in checkpoints, with a real LMDB backend and real checkpoint storage. */
import t, { type Test } from 'tap';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointParticipant } from '../../../runtime/actor/participant.js';
import { systemClock } from '../../../base/clock.js';
import type { ControlFromActor } from '../../../runtime/transport/protocol.js';
import { keyedBackendFor, type ActorStateSettings } from '../../../runtime/actor/state-settings.js';

async function setup(t: Test, keys: number) {
  const dir = await mkdtemp(join(tmpdir(), 'snapflow-participant-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const settings: ActorStateSettings = {
    backend: 'lmdb', workDir: join(dir, 'work'),
    checkpointing: { guarantee: 'exactly-once', mode: 'incremental', jobDir: join(dir, 'job'), maxDeltas: 20, maxDeltaRatio: 0.5 },
  };
  const keyed = keyedBackendFor(settings, '1-0', { start: 0, end: 127 });
  t.teardown(() => keyed.dispose());
  const v = keyed.valueState<{ n: number; pad: string }>('v');
  for (let i = 0; i < keys; i++) {
    keyed.setCurrentKey(`k${i}`, i % 128);
    v.update({ n: i, pad: 'x'.repeat(40) });
  }
  const sent: ControlFromActor[] = [];
  const p = new CheckpointParticipant({
    settings, actor: 'Sum (1/1)', chain: 1, subtask: 0, parallelism: 1, clock: systemClock, send: (m) => void sent.push(m),
  }, () => keyed);
  const files = async () => (await readdir(join(dir, 'job'), { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name);
  return { p, sent, files, keyed };
}

const barrier = (id: number) => ({ kind: 'barrier' as const, id, timestamp: Date.now() });
const timing = { startDelayMs: 1, alignmentMs: 2, alignedRecords: 3, processedBytes: 4, unaligned: false };

t.test('a snapshot is acknowledged with its handle, sizes and timings once its files are written', async (t) => {
  const s = await setup(t, 5000);
  s.p.snapshot(barrier(1), timing);
  t.same(s.sent, [], 'no acknowledgement before the asynchronous part is done');
  await s.p.drain();
  t.equal(s.sent.length, 1);
  const ack = s.sent[0] as Extract<ControlFromActor, { kind: 'ack' }>;
  t.equal(ack.kind, 'ack');
  t.equal(ack.id, 1);
  t.match(ack.state, { chain: 1, subtask: 0, parallelism: 1, keyed: { backend: 'lmdb', mode: 'incremental' } });
  t.match(ack.stats, { actor: 'Sum (1/1)', startDelayMs: 1, alignmentMs: 2, alignedRecords: 3 });
  t.ok(ack.stats.checkpointedBytes > 5000 * 40, 'the base holds every key');
  t.equal(ack.stats.checkpointedBytes, ack.stats.fullStateBytes, 'a base is written whole');
  t.same(await s.files(), ack.state.keyed!.files.map((f) => f.path.split('/').pop()), 'exactly the handle\'s files are on disk');
});

t.test('aborting a snapshot while it is written removes its files and sends nothing', async (t) => {
  const s = await setup(t, 50_000);
  s.p.snapshot(barrier(1), timing);
  await new Promise((r) => setImmediate(r));
  s.p.onAbort(1, 'expired after 1 ms');
  await s.p.drain();
  t.same(s.sent, [], 'neither an acknowledgement nor a decline');
  t.same(await s.files(), [], 'no partial file is left');
  s.p.snapshot(barrier(2), timing);
  await s.p.drain();
  t.equal(s.sent[0]?.kind, 'ack', 'the next checkpoint still works');
});

t.test('a snapshot that cannot be taken is declined with its reason', async (t) => {
  const s = await setup(t, 10);
  await s.keyed.dispose();
  s.p.snapshot(barrier(1), timing);
  await s.p.drain();
  t.match(s.sent, [{ kind: 'decline', id: 1, reason: /snapshot failed|writing its snapshot failed/ }]);
});
