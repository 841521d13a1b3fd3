/** The experiment's text report: per case, full next to incremental, the lab's two lines first. */
import { textTable } from '../base/text-table.js';
import { formatBytes } from '../runtime/storage/listing.js';
import type { CaseResult, ExperimentReport, Spread } from './experiment.js';

/**
 * Says in words whether two measured spreads differ: with one run there is no spread to
 * judge by, overlapping min–max ranges mean the difference is noise, and only disjoint
 * ranges are stated as a difference (with its size relative to `a`).
 */
export function spreadVerdict(a: Spread, b: Spread, runs: number, names: [string, string] = ['full', 'incremental']): string {
  if (a.median === b.median && a.min === b.min && a.max === b.max) return 'the same';
  if (runs < 2) return 'one run per mode: no spread, so the difference cannot be told from noise';
  if (a.min <= b.max && b.min <= a.max) return 'within the spread (ranges overlap): no real difference';
  const pct = a.median === 0 ? Infinity : Math.abs((b.median - a.median) / a.median) * 100;
  const lo = b.median < a.median ? names[1] : names[0];
  const size = Number.isFinite(pct) ? `${pct < 10 ? pct.toFixed(1) : Math.round(pct)}%` : 'infinitely';
  return `${lo} lower by ${size} (ranges do not overlap)`;
}

/** A size as `du -sh` prints it: 4.0K, 16K, 1.2M (powers of 1024, rounded up). */
export function duHuman(bytes: number): string {
  if (bytes < 1024) return `${bytes}`;
  const units = ['K', 'M', 'G', 'T'];
  let v = bytes / 1024;
  let u = 0;
  for (; v >= 1024 && u < units.length - 1; u++) v /= 1024;
  return v < 10 ? `${(Math.ceil(v * 10) / 10).toFixed(1)}${units[u]}` : `${Math.ceil(v)}${units[u]}`;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const msText = (v: number) => (Number.isNaN(v) ? 'n/a' : v < 10 ? `${v.toFixed(2)} ms` : v < 100 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
const ranged = (s: Spread, f: (v: number) => string, runs: number) => (runs < 2 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`);

function settingsLine(r: ExperimentReport, c: CaseResult): string {
  const s = r.settings;
  const base = `parallelism ${s.parallelism}, checkpoint every ${s.intervalMs} ms, lmdb, fixed-delay ${s.restartAttempts} × ${s.restartDelayMs} ms, ${c.runs} run${c.runs === 1 ? '' : 's'} per mode`;
  if (c.case === 'synthetic') return `${s.keys.toLocaleString('en-US')} keys loaded, then ${s.rounds} rounds updating ${s.updateRatio * 100}% of them, one checkpoint per round; ${base}`;
  return `${s.input}, ${s.recordDelayMs} ms per record; ${base}`;
}

function notes(full: CaseResult, inc: CaseResult): string[] {
  const out: string[] = [];
  if (full.case === 'stateless') {
    out.push('no keyed state: both modes store only checkpoint metadata, so the storage is overhead and equal by construction');
  }
  out.push(`processing time: ${spreadVerdict(full.processingMs, inc.processingMs, Math.min(full.runs, inc.runs))}`);
  if (full.checkpointedBytes.median > 0 || inc.checkpointedBytes.median > 0) {
    out.push(`bytes per checkpoint: ${spreadVerdict(full.checkpointedBytes, inc.checkpointedBytes, Math.min(full.runs, inc.runs))}`);
  }
  out.push(`restore: ${spreadVerdict(full.restore, inc.restore, Math.min(full.runs, inc.runs))}`);
  return out;
}

/** The report as text tables, one per case. */
export function formatExperiment(r: ExperimentReport): string {
  const blocks: string[] = [];
  const names = [...new Set(r.cases.map((c) => c.case))];
  for (const key of names) {
    const full = r.cases.find((c) => c.case === key && c.mode === 'full')!;
    const inc = r.cases.find((c) => c.case === key && c.mode === 'incremental')!;
    const row = (label: string, f: (c: CaseResult) => string) => [label, f(full), f(inc)];
    const ms3 = (c: CaseResult) => `${msText(c.syncMs)} / ${msText(c.asyncMs)} / ${msText(c.alignmentMs)}`;
    const table = textTable(['', 'full', 'incremental'], [
      ['what the lab printed', '', ''],
      row('  processing time', (c) => ranged(c.processingMs, (v) => secs(v), c.runs)),
      row('  checkpoint storage (du -sh)', (c) => `${duHuman(c.storageBytes)} (${formatBytes(c.diskBytes)} in files)`),
      ['what it should have printed', '', ''],
      row('  checkpoints completed', (c) => String(c.checkpoints)),
      row('  bytes per checkpoint (median)', (c) => ranged(c.checkpointedBytes, formatBytes, c.runs)),
      row('  full state size', (c) => formatBytes(c.fullStateBytes)),
      row('  sync / async / align (avg)', ms3),
      row('  restore last checkpoint', (c) => ranged(c.restore, msText, c.runs)),
    ], { align: ['left', 'left', 'left'], indent: '  ' });
    blocks.push([`${full.name}  (${settingsLine(r, full)})`, ...table, ...notes(full, inc).map((n) => `  → ${n}`)].join('\n'));
  }
  blocks.push(`restore time: ${r.restoreMethod}`);
  return blocks.join('\n\n') + '\n';
}
