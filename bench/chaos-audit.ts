/**
 * The checks of `snapflow chaos` on the keyed job (bench/jobs/chaos.ts): the committed output
 * streamed into bitmaps of seen and repeated ids, and the keyed state of the final checkpoint
 * compared key by key with a plain computation. Memory stays O(records / 8 + keys).
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeKey } from '../backends/format/keys.js';
import { readHandles } from '../backends/format/restore-reader.js';
import { unpackValue, type StateFileEntry } from '../backends/format/state-file.js';
import { generateTransaction, resolveGeneratorOptions } from '../operators/sources/generator.js';
import { CheckpointStorage } from '../runtime/storage/checkpoint-storage.js';
import { CHAOS_NAMES, cents, type ChaosAccumulator } from './jobs/chaos.js';

/** The names of committed part files. */
export const COMMITTED = /^part-\d+-\d+\.(jsonl|csv)$/;

/** What the plain computation needs of a run. */
export interface ChaosData { records: number; keys: number; seed: number }

/** Records of key k in a run: the sequence numbers k, k + keys, … below records. */
export function recordsOfKey(k: number, records: number, keys: number): number {
  return k < records ? Math.floor((records - 1 - k) / keys) + 1 : 0;
}

/** What the committed output holds. */
export interface OutputAudit { lost: number; duplicated: number; violations: number; badLines: number; lines: number; files: number; uncommittedFiles: number; samples: string[] }

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => { let n = 0; for (let x = b; x; x >>= 1) n += x & 1; return n; });

/** Streams the committed part files of `dir` byte by byte, with one bitmap of seen ids and one of duplicated ids. */
export async function auditOutput(dir: string, records: number): Promise<OutputAudit> {
  const seen = new Uint8Array((records + 7) >>> 3);
  const dup = new Uint8Array(seen.length);
  const a: OutputAudit = { lost: 0, duplicated: 0, violations: 0, badLines: 0, lines: 0, files: 0, uncommittedFiles: 0, samples: [] };
  let id = -1;
  let text: string | null = null;
  const endLine = () => {
    if (text === null && id >= 0 && id < records) {
      a.lines++;
      const byte = id >>> 3;
      const bit = 1 << (id & 7);
      if ((seen[byte] & bit) === 0) {
        seen[byte] |= bit;
      } else if ((dup[byte] & bit) === 0) {
        dup[byte] |= bit;
        a.duplicated++;
      }
    } else if (text !== 'value') {
      // 'value' is the CSV header every file starts with; anything else not an id is reported.
      const line = text ?? String(id);
      if (/^"?violation /.test(line)) a.violations++;
      else a.badLines++;
      if (a.samples.length < 5) a.samples.push(line);
    }
    id = -1;
    text = null;
  };
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const name of names) {
    if (name.startsWith('.')) a.uncommittedFiles++;
    if (!COMMITTED.test(name)) continue;
    a.files++;
    for await (const chunk of createReadStream(join(dir, name), { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        if (c === 10) endLine();
        else if (text === null && c >= 48 && c <= 57) id = id < 0 ? c - 48 : id * 10 + (c - 48);
        else {
          text ??= id >= 0 ? String(id) : '';
          if (text.length < 200) text += String.fromCharCode(c);
        }
      }
    }
    if (id >= 0 || text !== null) endLine();
  }
  let present = 0;
  for (let i = 0; i < seen.length; i++) present += POPCOUNT[seen[i]];
  a.lost = records - present;
  return a;
}

/** How the final keyed state compares with the plain computation. */
export interface StateAudit { stateMatches: boolean; mismatchedKeys: number; checkpointId: number; final: boolean; entries: number }

/** Sum of amounts in cents per key, from the generator directly: O(keys) memory. */
function plainSums(o: ChaosData): Float64Array {
  const gen = resolveGeneratorOptions({ records: o.records, keys: o.keys, distribution: 'cyclic', seed: o.seed });
  const sums = new Float64Array(o.keys);
  for (let seq = 0; seq < o.records; seq++) sums[seq % o.keys] += cents(generateTransaction(seq, gen).amount);
  return sums;
}

/**
 * Streams the keyed state of the newest completed checkpoint in `jobDir` to `onEntry`, base
 * files first and then their deltas in order, so a later entry of a key overrides an earlier
 * one; null when no checkpoint completed.
 */
export async function readNewestState(jobDir: string, onEntry: (e: StateFileEntry) => void): Promise<{ checkpointId: number; final: boolean } | null> {
  const storage = new CheckpointStorage(jobDir);
  const ids = await storage.completedIds();
  if (ids.length === 0) return null;
  const meta = await storage.readMetadata(ids[ids.length - 1]);
  await readHandles({
    handles: meta.subtasks.flatMap((s) => (s.keyed ? [s.keyed] : [])), source: storage.source(),
    keyGroups: { start: 0, end: meta.maxParallelism - 1 }, onEntry,
  });
  return { checkpointId: meta.checkpointId, final: meta.final };
}

/** Streams the keyed state of the newest completed checkpoint in `jobDir` into per-key arrays and compares it key by key. */
export async function auditState(jobDir: string, o: ChaosData): Promise<StateAudit> {
  const present = new Uint8Array(o.keys);
  const last = new Float64Array(o.keys);
  const count = new Float64Array(o.keys);
  const sum = new Float64Array(o.keys);
  let entries = 0;
  let foreign = 0;
  const read = await readNewestState(jobDir, (e) => {
    entries++;
    const k = decodeKey(e.key);
    const key = typeof k.userKey === 'string' && /^C\d+$/.test(k.userKey) ? Number(k.userKey.slice(1)) : -1;
    if (k.name !== CHAOS_NAMES.state || k.kind !== 'value' || key < 0 || key >= o.keys) return void foreign++;
    if (e.value === null) return void (present[key] = 0);
    const v = unpackValue(e.value) as ChaosAccumulator;
    present[key] = 1;
    [last[key], count[key], sum[key]] = v;
  });
  if (read === null) return { stateMatches: false, mismatchedKeys: o.keys, checkpointId: 0, final: false, entries: 0 };
  const sums = plainSums(o);
  let mismatched = foreign;
  for (let k = 0; k < o.keys; k++) {
    const n = recordsOfKey(k, o.records, o.keys);
    const ok = n === 0 ? present[k] === 0 : present[k] === 1 && last[k] === n - 1 && count[k] === n && sum[k] === sums[k];
    if (!ok) mismatched++;
  }
  return { stateMatches: mismatched === 0, mismatchedKeys: mismatched, ...read, entries };
}

