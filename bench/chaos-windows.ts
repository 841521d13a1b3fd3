/**
 * The checks of `snapflow chaos --job windowed` (bench/jobs/chaos-windows.ts): every window of
 * the plain computation in the committed output exactly once, with its count and sum, and no
 * window state left in the final checkpoint (every window fired and was purged, its timer
 * deleted). Memory stays O(records / 8) for the output and O(live entries) for the state.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateTransaction, resolveGeneratorOptions } from '../operators/sources/generator.js';
import { cents } from './jobs/chaos.js';
import { chaosWindowOf, opensWindow } from './jobs/chaos-windows.js';
import { COMMITTED, readNewestState, type ChaosData, type OutputAudit, type StateAudit } from './chaos-audit.js';

const LINE = /^"?window (\d+) (\d+) (\d+)"?$/;

/** What the generated data decides about windows: which record opens its key's window, and that window's count and sum. */
class PlainWindows {
  private readonly gen;

  constructor(private readonly records: number, private readonly keys: number, seed: number) {
    this.gen = resolveGeneratorOptions({ records, keys, distribution: 'cyclic', seed });
  }

  /** Whether record `seq` is its key's first in its window. */
  opens(seq: number): boolean {
    return opensWindow(seq, this.keys);
  }

  /** The count and sum in cents of the window that record `first` opens. */
  window(first: number): [count: number, sum: number] {
    const w = chaosWindowOf(first, this.keys);
    let count = 0;
    let sum = 0;
    for (let s = first; s < this.records && chaosWindowOf(s, this.keys) === w; s += this.keys) {
      count++;
      sum += cents(generateTransaction(s, this.gen).amount);
    }
    return [count, sum];
  }
}

/**
 * Reads the committed window lines of `dir`: a window is lost when the plain computation has
 * it and no line does, duplicated when two lines do, and a violation when its count or sum
 * differs or its first record does not open a window.
 */
export async function auditWindowOutput(dir: string, o: ChaosData): Promise<OutputAudit> {
  const plain = new PlainWindows(o.records, o.keys, o.seed);
  const seen = new Uint8Array((o.records + 7) >>> 3);
  const dup = new Uint8Array(seen.length);
  const a: OutputAudit = { lost: 0, duplicated: 0, violations: 0, badLines: 0, lines: 0, files: 0, uncommittedFiles: 0, samples: [] };
  const sample = (line: string) => void (a.samples.length < 5 && a.samples.push(line));
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    if (name.startsWith('.')) a.uncommittedFiles++;
    if (!COMMITTED.test(name)) continue;
    a.files++;
    for await (const line of createInterface({ input: createReadStream(join(dir, name)), crlfDelay: Infinity })) {
      if (line === '' || line === 'value') continue;
      const m = LINE.exec(line);
      const first = m ? Number(m[1]) : -1;
      if (!m || first >= o.records) {
        a.badLines++;
        sample(line);
        continue;
      }
      a.lines++;
      const [byte, bit] = [first >>> 3, 1 << (first & 7)];
      if ((seen[byte] & bit) !== 0) {
        if ((dup[byte] & bit) === 0) a.duplicated++;
        dup[byte] |= bit;
        continue;
      }
      seen[byte] |= bit;
      const [count, sum] = plain.window(first);
      if (!plain.opens(first) || Number(m[2]) !== count || Number(m[3]) !== sum) {
        a.violations++;
        sample(`${line} (the plain computation: ${plain.opens(first) ? `count ${count}, sum ${sum}` : 'no window opens there'})`);
      }
    }
  }
  for (let seq = 0; seq < o.records; seq++) if (plain.opens(seq) && (seen[seq >>> 3] & (1 << (seq & 7))) === 0) a.lost++;
  return a;
}

/**
 * Streams the keyed state of the newest completed checkpoint in `jobDir`, base first and then
 * its deltas, and counts the entries still live at its end: after the final watermark every
 * window has been purged, so each live entry (a window, an accumulator, a timer) is a mismatch.
 */
export async function auditWindowState(jobDir: string): Promise<StateAudit> {
  const live = new Set<string>();
  let entries = 0;
  const read = await readNewestState(jobDir, (e) => {
    entries++;
    const key = Buffer.from(e.key).toString('latin1');
    if (e.value === null) live.delete(key);
    else live.add(key);
  });
  if (read === null) return { stateMatches: false, mismatchedKeys: 1, checkpointId: 0, final: false, entries: 0 };
  return { stateMatches: live.size === 0, mismatchedKeys: live.size, ...read, entries };
}
