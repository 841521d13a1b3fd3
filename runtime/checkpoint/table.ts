/** The checkpoint table printed at the end of a run: one line per checkpoint and the summary. */
import { textTable } from '../../base/text-table.js';
import { formatBytes } from '../storage/listing.js';
import type { CheckpointStats, CheckpointSummary, MinAvgMax } from './stats.js';
import type { SubtaskCheckpointStats } from '../storage/metadata.js';

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toString());

function maxOf(c: CheckpointSummary, f: (s: SubtaskCheckpointStats) => number): number {
  return c.subtasks.reduce((m, s) => Math.max(m, f(s)), 0);
}

/** The checkpoint table of a run, one line per checkpoint plus the summary, as text. */
export function formatCheckpointStats(stats: CheckpointStats): string {
  const { counts } = stats;
  const lines = [
    `checkpoints of job ${stats.jobId} in ${stats.jobDir}`,
    `  triggered ${counts.triggered}, completed ${counts.completed}, failed ${counts.failed}, aborted ${counts.aborted}`,
  ];
  const header = ['id', 'status', 'type', 'end-to-end', 'checkpointed', 'full state', 'sync max', 'async max', 'align max', 'delay max', 'aligned recs', 'processed', 'persisted'];
  const rows = stats.checkpoints.map((c) => [
    String(c.id), c.status + (c.final ? '*' : ''), c.unaligned ? 'unaligned' : 'aligned', `${ms(c.endToEndMs)} ms`, formatBytes(c.checkpointedBytes), formatBytes(c.fullStateBytes),
    `${ms(maxOf(c, (s) => s.syncMs))} ms`, `${ms(maxOf(c, (s) => s.asyncMs))} ms`, `${ms(maxOf(c, (s) => s.alignmentMs))} ms`,
    `${ms(maxOf(c, (s) => s.startDelayMs))} ms`, String(c.subtasks.reduce((n, s) => n + s.alignedRecords, 0)),
    formatBytes(c.processedBytes ?? 0), formatBytes(c.persistedBytes ?? 0),
  ]);
  const table = textTable(header, rows, { align: ['right', 'left'], indent: '  ' });
  lines.push(table[0]!);
  stats.checkpoints.forEach((c, i) => {
    lines.push(table[i + 1]!);
    if (c.reason) lines.push(`        ${c.status}: ${c.reason}`);
  });
  if (stats.checkpoints.some((c) => c.final)) lines.push('  * the final checkpoint of the bounded job');
  for (const w of stats.warnings) lines.push(`  warning: ${w}`);
  const s = stats.summary;
  if (s) {
    const row = (name: string, m: MinAvgMax, f: (v: number) => string) => [name, f(m.min), f(m.avg), f(m.max)];
    const t = (v: number) => `${ms(v)} ms`;
    lines.push(...textTable(['summary (completed)', 'min', 'avg', 'max'], [
      row('end-to-end', s.endToEndMs, t), row('checkpointed size', s.checkpointedBytes, formatBytes), row('full state size', s.fullStateBytes, formatBytes),
      row('sync (subtask)', s.syncMs, t), row('async (subtask)', s.asyncMs, t), row('alignment', s.alignmentMs, t), row('start delay', s.startDelayMs, t),
      row('processed in-flight', s.processedBytes, formatBytes), row('persisted in-flight', s.persistedBytes, formatBytes),
    ], { indent: '  ' }));
  }
  return lines.join('\n') + '\n';
}
