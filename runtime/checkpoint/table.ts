/** The checkpoint table printed at the end of a run: one line per checkpoint and the summary. */
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
    '  id  status     end-to-end  checkpointed  full state   sync max  async max  align max  delay max  aligned recs',
  ];
  for (const c of stats.checkpoints) {
    const status = c.status + (c.final ? '*' : '');
    lines.push([
      String(c.id).padStart(4), status.padEnd(10), `${ms(c.endToEndMs)} ms`.padStart(11), formatBytes(c.checkpointedBytes).padStart(13),
      formatBytes(c.fullStateBytes).padStart(11), `${ms(maxOf(c, (s) => s.syncMs))} ms`.padStart(10), `${ms(maxOf(c, (s) => s.asyncMs))} ms`.padStart(10),
      `${ms(maxOf(c, (s) => s.alignmentMs))} ms`.padStart(10), `${ms(maxOf(c, (s) => s.startDelayMs))} ms`.padStart(10),
      String(c.subtasks.reduce((n, s) => n + s.alignedRecords, 0)).padStart(13),
    ].join(' '));
    if (c.reason) lines.push(`        ${c.status}: ${c.reason}`);
  }
  if (stats.checkpoints.some((c) => c.final)) lines.push('  * the final checkpoint of the bounded job');
  for (const w of stats.warnings) lines.push(`  warning: ${w}`);
  const s = stats.summary;
  if (s) {
    const row = (name: string, m: MinAvgMax, f: (v: number) => string) => `  ${name.padEnd(18)} ${f(m.min).padStart(11)} ${f(m.avg).padStart(11)} ${f(m.max).padStart(11)}`;
    const t = (v: number) => `${ms(v)} ms`;
    lines.push('  summary (completed)        min         avg         max');
    lines.push(row('end-to-end', s.endToEndMs, t), row('checkpointed size', s.checkpointedBytes, formatBytes), row('full state size', s.fullStateBytes, formatBytes));
    lines.push(row('sync (subtask)', s.syncMs, t), row('async (subtask)', s.asyncMs, t), row('alignment', s.alignmentMs, t), row('start delay', s.startDelayMs, t));
  }
  return lines.join('\n') + '\n';
}
