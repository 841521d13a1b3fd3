import t from 'tap';
import { BaseMerge, compareKeys, mergeRuns, type DeltaRun } from '../../../backends/format/delta-merge.js';
import type { KeyedStateHandle, StateFileRef } from '../../../backends/snapshot.js';
import { encodeKey, stateHeader } from '../../../backends/format/keys.js';
import { packValue, StateFileEncoder, type StateFileEntry } from '../../../backends/format/state-file.js';
import type { KeyedStateBackend } from '../../../backends/state.js';
import { CorruptCheckpointError } from '../../../base/errors.js';
import { keyGroupOf } from '../../../base/keygroups.js';
import { MemoryStorage } from '../../support/memory-storage.js';
import { differences, enter, makeBackend, MAX_PARALLELISM, Model, randomOps, userKeys } from '../../support/backends.js';
import { mulberry32 } from '../../../base/random.js';

const V = stateHeader('v', 'value');
const keyOf = (k: string | number): Buffer => encodeKey(keyGroupOf(k, MAX_PARALLELISM), V, k);

/** Writes entries, in the order given, as one state file. */
async function writeFile(storage: MemoryStorage, id: number, label: string, entries: [string | number, number | null][]): Promise<StateFileRef> {
  const writer = await storage.target(id).createFile('shared', label);
  const encoder = new StateFileEncoder((chunk) => writer.write(chunk));
  for (const [k, v] of entries) await encoder.add(keyOf(k), v === null ? null : packValue(v));
  await encoder.finish();
  return writer.close(encoder.entries);
}

const byKey = (entries: [string | number, number | null][]): [string | number, number | null][] => [...entries].sort((a, b) => compareKeys(keyOf(a[0]), keyOf(b[0])));
const handleOf = (files: StateFileRef[]): KeyedStateHandle => ({
  backend: 'lmdb', mode: 'incremental', keyGroups: { start: 0, end: MAX_PARALLELISM - 1 }, files, written: [], entries: files.reduce((n, f) => n + f.entries, 0),
});

function values(b: KeyedStateBackend, keys: (string | number)[]): Record<string, number | undefined> {
  const v = b.valueState<number>('v');
  const out: Record<string, number | undefined> = {};
  for (const k of keys) {
    enter(b, k);
    out[String(k)] = v.value();
  }
  return out;
}

/** A delta run in memory from (latin1 key, one-byte value or null) pairs. */
function run(entries: [string, number | null][]): DeltaRun {
  const parts = entries.map(([k, v]) => {
    const key = Buffer.from(k, 'latin1');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(v === null ? 0xffffffff : 1);
    return Buffer.concat([key, len, v === null ? Buffer.alloc(0) : Buffer.from([v])]);
  });
  const keyAt: number[] = [];
  let at = 0;
  for (const p of parts) {
    keyAt.push(at);
    at += p.length;
  }
  return { bytes: Buffer.concat(parts), keyAt: Uint32Array.from(keyAt), keyLen: Uint32Array.from(entries, ([k]) => k.length) };
}

const show = (e: StateFileEntry): string => `${e.key.toString('latin1')}=${e.value === null ? 'deleted' : e.value[0]}`;

t.test('mergeRuns keeps, for each key, the entry of the newest run, in key order', async (t) => {
  const runs = [
    run([['a', 1], ['c', 1], ['e', 1], ['g', 1]]),
    run([['b', 2], ['c', 2], ['g', null]]),
    run([['c', 3], ['d', 3]]),
    run([]),
    run([['a', null], ['h', 5], ['i', 5]]),
  ];
  const merged = mergeRuns(runs);
  const got: string[] = [];
  for (let i = 0; i < merged.length; i++) got.push(show(merged.entry(i)));
  t.strictSame(got, ['a=deleted', 'b=2', 'c=3', 'd=3', 'e=1', 'g=deleted', 'h=5', 'i=5']);
  t.equal(mergeRuns([]).length, 0, 'no runs, no entries');
});

t.test('BaseMerge gives every key once, in order, its newest entry winning, whatever prefixes keys share', async (t) => {
  const rnd = mulberry32(51);
  // Short keys over two letters, so that many are prefixes of others.
  const universe = new Set<string>();
  while (universe.size < 120) universe.add(Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => (rnd() < 0.5 ? 'a' : 'b')).join(''));
  const sortedKeys = [...universe].sort();
  const pick = (share: number): string[] => sortedKeys.filter(() => rnd() < share);
  let wrong = 0;
  for (let round = 0; round < 300; round++) {
    const baseKeys = pick(rnd());
    const deltas = Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, r) => pick(rnd() * 0.4).map((k): [string, number | null] => [k, rnd() < 0.2 ? null : 10 * r + 1]));
    const want = new Map<string, string>(baseKeys.map((k) => [k, `${k}=0`]));
    for (const d of deltas) for (const [k, v] of d) want.set(k, `${k}=${v === null ? 'deleted' : v}`);
    const merge = new BaseMerge(mergeRuns(deltas.map(run)), 'base.sfs');
    const out: StateFileEntry[] = [];
    for (const k of baseKeys) merge.push({ key: Buffer.from(k, 'latin1'), value: Buffer.from([0]) }, out);
    merge.finish(out);
    const got = out.map(show).join(' ');
    if (got !== [...want.keys()].sort().map((k) => want.get(k)).join(' ')) wrong++;
  }
  t.equal(wrong, 0, 'every round matches the model');
});

t.test('deltas written before they were sorted restore with the newest entry of each key', async (t) => {
  const storage = new MemoryStorage({ readChunk: 97 });
  const sorted = byKey(userKeys(60).map((k): [string | number, number] => [k, 0])).map(([k]) => k);
  const base = await writeFile(storage, 1, 'base', sorted.map((k, i): [string | number, number] => [k, i]));
  // Descending, so an older entry of a key sorts after the newer one unless the file is ordered first.
  const olderEntries = sorted.slice(10, 30).map((k, i): [string | number, number | null] => [k, 100 + 10 + i]).reverse();
  olderEntries.push([sorted[14], 514], [sorted[12], 512]);
  const older = await writeFile(storage, 2, 'delta', olderEntries);
  const newer = await writeFile(storage, 3, 'delta', [[sorted[12], 300], [sorted[20], null], [sorted[25], 325]]);
  const want: Record<string, number | undefined> = {};
  sorted.forEach((k, i) => (want[String(k)] = i >= 10 && i < 30 ? 100 + i : i));
  Object.assign(want, { [String(sorted[12])]: 300, [String(sorted[14])]: 514, [String(sorted[20])]: undefined, [String(sorted[25])]: 325 });
  for (const kind of ['lmdb', 'heap'] as const) {
    const b = makeBackend({ kind, mode: kind === 'lmdb' ? 'incremental' : 'full' });
    await b.restore([handleOf([base, older, newer])], storage);
    t.strictSame(values(b, sorted), want, `${kind}: an unsorted delta with repeated keys, under a sorted one with a tombstone`);
    await b.dispose();
  }
});

t.test('a base out of key order under deltas fails the restore with CorruptCheckpointError', async (t) => {
  const storage = new MemoryStorage();
  const sorted = byKey(userKeys(30).map((k, i): [string | number, number] => [k, i]));
  const base = await writeFile(storage, 1, 'base', [...sorted.slice(10), ...sorted.slice(0, 10)]);
  const delta = await writeFile(storage, 2, 'delta', [[sorted[3][0], 1]]);
  const b = makeBackend({ kind: 'lmdb', mode: 'incremental' });
  t.teardown(() => b.dispose());
  const err = await b.restore([handleOf([base, delta])], storage).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof CorruptCheckpointError, 'CorruptCheckpointError');
  t.match((err as Error).message, new RegExp(`${base.path}.*not in key order`));
});

t.test('a chain of deltas restores at other parallelisms, split and merged', async (t) => {
  const storage = new MemoryStorage({ readChunk: 1000 });
  const keys = userKeys(3000);
  const whole = makeBackend({ kind: 'lmdb', mode: 'incremental', maxDeltaRatio: 100, tuning: { flushEntries: 300, maxInFlight: 1000 } });
  const model = new Model();
  const w = { backend: whole, model, rnd: mulberry32(41), keys };
  let chain: KeyedStateHandle | undefined;
  for (let id = 1; id <= 4; id++) {
    randomOps(w, id === 1 ? 8000 : 2500);
    chain = await whole.snapshot(id, storage.target(id)).run();
    whole.notifyCheckpointComplete(id);
  }
  await whole.dispose();
  t.equal(chain!.files.length, 4, 'a base and three deltas');

  const halves = [{ start: 0, end: 50 }, { start: 51, end: MAX_PARALLELISM - 1 }];
  const parts: KeyedStateHandle[] = [];
  for (const [i, range] of halves.entries()) {
    const part = makeBackend({ kind: 'lmdb', mode: 'incremental', keyGroups: range });
    await part.restore([chain!], storage);
    const inRange = (k: string | number) => keyGroupOf(k, MAX_PARALLELISM) >= range.start && keyGroupOf(k, MAX_PARALLELISM) <= range.end;
    t.strictSame(differences(part, model, keys, inRange), [], `part ${range.start}-${range.end}`);
    parts.push(await part.snapshot(10 + i, storage.target(10 + i)).run());
    await part.dispose();
  }
  const merged = makeBackend({ kind: 'lmdb', mode: 'incremental' });
  t.teardown(() => merged.dispose());
  await merged.restore(parts.reverse(), storage);
  t.strictSame(differences(merged, model, keys), [], 'the parts merged back, whatever their order');
  t.equal(merged.entryCount(), model.entryCount());
});

t.test('a damaged delta fails the restore with CorruptCheckpointError naming it', async (t) => {
  const storage = new MemoryStorage();
  const sorted = byKey(userKeys(30).map((k, i): [string | number, number] => [k, i]));
  const base = await writeFile(storage, 1, 'base', sorted);
  const delta = await writeFile(storage, 2, 'delta', sorted.slice(5, 9).map(([k]): [string | number, number] => [k, 99]));
  const original = Buffer.from(storage.files.get(delta.path)!.bytes);
  const fails = async (files: StateFileRef[], pattern: RegExp, what: string): Promise<void> => {
    const b = makeBackend({ kind: 'lmdb', mode: 'incremental' });
    const err = await b.restore([handleOf(files)], storage).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof CorruptCheckpointError, `${what}: CorruptCheckpointError`);
    t.match((err as Error).message, pattern, what);
    await b.dispose();
  };
  await fails([base, storage.replace(delta.path, original.subarray(0, original.length - 2))], new RegExp(`${delta.path}.*truncated entry`), 'truncated delta');
  const restored = storage.replace(delta.path, original);
  await fails([base, { ...restored, entries: restored.entries + 1 }], new RegExp(`${delta.path}.*recorded`), 'entry count differs');
  const badKey = Buffer.from(original);
  badKey[8 + 4 + 2] = 200;
  await fails([base, storage.replace(delta.path, badKey)], new RegExp(`${delta.path}`), 'a key whose state name runs past its end');
  const again = storage.replace(delta.path, original);
  storage.corrupt(delta.path);
  await fails([base, again], new RegExp(`${delta.path}.*checksum`), 'flipped byte');
});
