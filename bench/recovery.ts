/**
 * `snapflow bench recovery`: how long restoring keyed LMDB state takes from a full
 * checkpoint and from incremental chains (a base plus deltas), on the backends directly.
 * One chain is built per run: N keys loaded, a base, then deltas that each update a share
 * of the keys; each chain length asked for is restored into a fresh environment, interleaved
 * with restores of a full checkpoint of the same state, and checked against the values the
 * keys must have. With `policyWorstCase`, the chain is also built up to the longest one the
 * default re-base policy allows at that update ratio, which is measured too.
 */
import { join } from 'node:path';
import { createKeyedBackend, DEFAULT_REBASE } from '../backends/factory.js';
import type { KeyedStateHandle } from '../backends/snapshot.js';
import { wouldRebase } from '../backends/lmdb/chain.js';
import type { KeyedStateBackend } from '../backends/state.js';
import { CheckpointStorage } from '../runtime/storage/checkpoint-storage.js';
import { keyGroupOf } from '../base/keygroups.js';
import { median, round } from './measure.js';
import { scratchDir } from './scratch.js';
import type { CheckpointMode } from '../base/kinds.js';

/** Options of the recovery benchmark. */
export interface RecoveryBenchOptions {
  keys: number;
  /** Deltas on the base; 0 is a full checkpoint. */
  chainLengths: number[];
  /** Share of the keys each delta updates. */
  updateRatio: number;
  runs: number;
  valueBytes: number;
  /** Also measure the longest chain the default re-base policy (DEFAULT_REBASE) allows at this update ratio. */
  policyWorstCase?: boolean;
  progress?: (line: string) => void;
}

/** One restore's figures (median of the runs). */
export interface RecoveryResult {
  chainLength: number;
  keys: number;
  restoreMs: number;
  restoredBytes: number;
  /** Delta bytes over base bytes. */
  deltaRatio: number;
  /** restoreMs over the full checkpoint's restoreMs. */
  vsFull: number;
  /** Median restore of a full checkpoint of the same state, interleaved with this chain's runs. */
  fullMs: number;
  /** Keys per second restoring that full checkpoint. */
  fullKeysPerSec: number;
  runsMs: number[];
  /** Set on the longest chain the default re-base policy allows at this update ratio. */
  policy?: 'default-worst-case';
}

/** The benchmark's output. */
export interface RecoveryReport {
  results: RecoveryResult[];
}

const KEY_GROUPS = { start: 0, end: 127 };

/** Runs the recovery benchmark. */
export async function benchRecovery(opts: RecoveryBenchOptions): Promise<RecoveryReport> {
  const say = opts.progress ?? (() => {});
  const scratch = await scratchDir('snapflow-bench-recovery-');
  const dir = scratch.path;
  let work = 0;
  const backend = (mode: CheckpointMode) => createKeyedBackend({
    kind: 'lmdb', mode, keyGroups: KEY_GROUPS, workDir: join(dir, `work-${work++}`), maxDeltas: 1e9, maxDeltaRatio: 1e9,
  });
  const pad = 'x'.repeat(opts.valueBytes);
  const perDelta = Math.max(1, Math.round(opts.keys * opts.updateRatio));
  const keyOf = (d: number, j: number) => ((d * perDelta + j) * 7919) % opts.keys;
  const write = async (b: KeyedStateBackend, i: number, last: number) => {
    const key = 'k' + i;
    b.setCurrentKey(key, keyGroupOf(key, 128));
    b.valueState<{ n: number; last: number; pad: string }>('v').update({ n: i, last, pad });
    const wait = b.blocked();
    if (wait) await wait;
  };
  try {
    const longest = Math.max(...opts.chainLengths);
    const storage = new CheckpointStorage(join(dir, 'job'));
    const chain = backend('incremental');
    const full = backend('full');
    // The full backend receives the same writes, for a full checkpoint of each state measured.
    const fulls = new Map<number, KeyedStateHandle>();
    const both = async (i: number, last: number) => {
      await write(chain, i, last);
      await write(full, i, last);
    };
    for (let i = 0; i < opts.keys; i++) await both(i, i);
    const handles: KeyedStateHandle[] = [await snapshot(chain, storage, 1)];
    let worst: number | undefined;
    for (let d = 0; ; d++) {
      if (opts.chainLengths.includes(d)) fulls.set(d, await snapshot(full, storage, d + 1));
      // The policy decides on the confirmed handle and the keys changed since, as IncrementalChain.plan does.
      if (opts.policyWorstCase && worst === undefined && wouldRebase(handles[d], perDelta, DEFAULT_REBASE)) {
        worst = d;
        if (!fulls.has(d)) fulls.set(d, await snapshot(full, storage, d + 1));
      }
      if (d >= longest && (!opts.policyWorstCase || worst !== undefined)) break;
      for (let j = 0; j < perDelta; j++) await both(keyOf(d + 1, j), d + 1);
      handles.push(await snapshot(chain, storage, d + 2));
    }
    await chain.dispose();
    await full.dispose();
    say(`recovery: ${opts.keys} keys, base and ${handles.length - 1} deltas of ${perDelta} keys written`);
    if (worst !== undefined) say(`recovery: the default re-base policy (${JSON.stringify(DEFAULT_REBASE)}) allows at most ${worst} deltas of ${perDelta} keys`);
    const lengths = worst === undefined || opts.chainLengths.includes(worst) ? opts.chainLengths : [...opts.chainLengths, worst];
    // Unmeasured, so that no measured restore is the one that compiles the code.
    await timeRestore(backend('incremental'), handles[Math.max(...lengths)], storage);
    const results: RecoveryResult[] = [];
    for (const length of lengths) {
      const h = handles[length];
      const times: number[] = [];
      const fullRuns: number[] = [];
      for (let r = 0; r < opts.runs; r++) {
        times.push(await timeRestore(backend('incremental'), h, storage));
        fullRuns.push(await timeRestore(backend('full'), fulls.get(length)!, storage));
        say(`  chain ${length} run ${r + 1}: ${Math.round(times[r])} ms, full checkpoint of the same state ${Math.round(fullRuns[r])} ms`);
      }
      await check(backend('incremental'), h, storage, { keys: opts.keys, length, keyOf, perDelta });
      const base = h.files[0].bytes;
      const bytes = h.files.reduce((n, f) => n + f.bytes, 0);
      const fullMs = median(fullRuns);
      results.push({
        chainLength: length, keys: opts.keys, restoreMs: round(median(times), 1), restoredBytes: bytes,
        deltaRatio: round((bytes - base) / base, 3), vsFull: round(median(times) / fullMs, 2),
        fullMs: round(fullMs, 1), fullKeysPerSec: Math.round(opts.keys / (fullMs / 1000)), runsMs: times.map((t) => round(t, 1)),
        ...(length === worst ? { policy: 'default-worst-case' as const } : {}),
      });
    }
    return { results };
  } finally {
    await scratch.remove();
  }
}

async function snapshot(b: KeyedStateBackend, storage: CheckpointStorage, id: number): Promise<KeyedStateHandle> {
  const handle = await b.snapshot(id, storage.target(id, 'bench')).run();
  b.notifyCheckpointComplete(id);
  return handle;
}

async function timeRestore(b: KeyedStateBackend, handle: KeyedStateHandle, storage: CheckpointStorage): Promise<number> {
  const t0 = performance.now();
  await b.restore([handle], storage.source());
  const ms = performance.now() - t0;
  await b.dispose();
  return ms;
}

async function check(b: KeyedStateBackend, handle: KeyedStateHandle, storage: CheckpointStorage, c: { keys: number; length: number; keyOf: (d: number, j: number) => number; perDelta: number }): Promise<void> {
  await b.restore([handle], storage.source());
  const last = new Map<number, number>();
  for (let d = 1; d <= c.length; d++) for (let j = 0; j < c.perDelta; j++) last.set(c.keyOf(d, j), d);
  const v = b.valueState<{ n: number; last: number }>('v');
  for (let s = 0; s < c.keys; s += Math.max(1, Math.floor(c.keys / 5000))) {
    const key = 'k' + s;
    b.setCurrentKey(key, keyGroupOf(key, 128));
    const got = v.value();
    if (!got || got.n !== s || got.last !== (last.get(s) ?? s)) throw new Error(`restored state is wrong at ${key}: ${JSON.stringify(got)}`);
  }
  await b.dispose();
}
