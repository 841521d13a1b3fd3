/**
 * What `snapflow checkpoints <dir>` shows: every completed checkpoint of every job in a
 * checkpoint folder, what it wrote and stands on, and what the folder really holds on disk,
 * so retention and incremental checkpoints can be checked by eye or by script.
 */
import { textTable } from '../../base/text-table.js';
import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { CheckpointStorage, type StoredFile } from './checkpoint-storage.js';
import { type CheckpointMetadata, referencedFiles, writtenFiles } from './metadata.js';
import { ConfigError, CorruptCheckpointError } from '../../base/errors.js';
import { resolveCheckpointDir } from './paths.js';

/** One completed checkpoint of a job. */
export interface CheckpointEntry {
  id: number;
  /** ISO time of completion. */
  completedAt: string;
  mode: CheckpointMetadata['mode'];
  backend: CheckpointMetadata['backend'];
  final: boolean;
  savepoint: boolean;
  /** Bytes of the files this checkpoint wrote. */
  checkpointedBytes: number;
  /** Bytes of every file it stands on. */
  fullStateBytes: number;
  /** Files it stands on. */
  files: number;
  /** Some subtask took it unaligned. */
  unaligned: boolean;
  /** Bytes the subtasks read between its first and last barrier (Flink's processed in-flight data). */
  processedBytes: number;
  /** Bytes of in-flight batches it kept as channel state (Flink's persisted in-flight data). */
  persistedBytes: number;
  /** The files under `shared/` it stands on. */
  shared: StoredFile[];
  /** Referenced files absent from disk: found without --verify because a restore would fail on them. */
  missing: string[];
  /** Present with --verify: what failed the size and checksum checks (empty when good). */
  problems?: string[];
}

/** One job folder. */
export interface JobEntry {
  jobId: string;
  dir: string;
  checkpoints: CheckpointEntry[];
  /** Checkpoints whose `_metadata` exists but is damaged. */
  unreadable: { id: number; reason: string }[];
  /** `chk-<id>` folders without `_metadata`: aborted, in flight, or left by a crash. */
  incomplete: number[];
  /** Every file in the job folder, exact bytes. */
  disk: { bytes: number; files: number };
  /** Files on disk no readable checkpoint references. */
  orphans: StoredFile[];
}

/** Everything `snapflow checkpoints` prints. */
export interface CheckpointListing {
  dir: string;
  verified: boolean;
  jobs: JobEntry[];
}

/** Options of listCheckpoints. */
export interface ListOptions {
  /** Read every referenced file and check its size and SHA-256 (slow on large state). */
  verify?: boolean;
}

const CHK_DIR = /^chk-(\d+)$/;

async function isDir(path: string): Promise<boolean> {
  return (await fsp.stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function isJobDir(path: string): Promise<boolean> {
  const names = await fsp.readdir(path).catch(() => [] as string[]);
  return names.some((n) => n === 'shared' || n === '_metadata' || CHK_DIR.test(n));
}

/** A savepoint folder holds one checkpoint's `_metadata` and files directly. */
const isSavepointDir = async (path: string) => (await fsp.stat(join(path, '_metadata')).catch(() => undefined))?.isFile() ?? false;

const sum = (files: { bytes: number }[]) => files.reduce((n, f) => n + f.bytes, 0);

async function describeJob(dir: string, verify: boolean): Promise<JobEntry> {
  const flat = await isSavepointDir(dir);
  const storage = new CheckpointStorage(dir, { flat });
  const onDisk = await storage.files();
  const present = new Set(onDisk.map((f) => f.path));
  const known = new Set<string>();
  const job: JobEntry = { jobId: basename(dir), dir, checkpoints: [], unreadable: [], incomplete: [], disk: { bytes: sum(onDisk), files: onDisk.length }, orphans: [] };
  const complete = await storage.completedIds();
  for (const id of complete) {
    let meta: CheckpointMetadata;
    try {
      meta = await storage.readMetadata(id);
    } catch (err) {
      if (!(err instanceof CorruptCheckpointError)) throw err;
      job.unreadable.push({ id, reason: err.message });
      continue;
    }
    const refs = referencedFiles(meta);
    known.add(flat ? '_metadata' : `chk-${id}/_metadata`);
    for (const f of refs) known.add(f.path);
    job.checkpoints.push({
      id,
      completedAt: new Date(meta.completedAt).toISOString(),
      mode: meta.mode,
      backend: meta.backend,
      final: meta.final,
      savepoint: meta.savepoint,
      checkpointedBytes: sum(writtenFiles(meta)),
      fullStateBytes: sum(refs),
      files: refs.length,
      unaligned: meta.stats.some((s) => s.unaligned === true),
      processedBytes: meta.stats.reduce((n, s) => n + (s.processedBytes ?? 0), 0),
      persistedBytes: meta.stats.reduce((n, s) => n + (s.persistedBytes ?? 0), 0),
      shared: refs.filter((f) => f.path.startsWith('shared/')).map((f) => ({ path: f.path, bytes: f.bytes })),
      missing: refs.filter((f) => !present.has(f.path)).map((f) => f.path),
      ...(verify ? { problems: await storage.verify(id) } : {}),
    });
  }
  const folders = (await fsp.readdir(dir)).filter((n) => CHK_DIR.test(n)).map((n) => Number(n.slice(4)));
  job.incomplete = folders.filter((id) => !complete.includes(id)).sort((a, b) => a - b);
  job.orphans = onDisk.filter((f) => !known.has(f.path));
  return job;
}

/** Lists a job folder, or every job folder in a checkpoint folder; a missing folder is a ConfigError naming it. */
export async function listCheckpoints(uri: string, opts: ListOptions = {}): Promise<CheckpointListing> {
  const dir = resolveCheckpointDir(uri, '<dir>');
  if (!(await isDir(dir))) throw new ConfigError('<dir>', `no checkpoint folder at "${dir}"`);
  let jobDirs = [dir];
  if (!(await isJobDir(dir))) {
    const names = (await fsp.readdir(dir)).sort();
    jobDirs = [];
    for (const n of names) if ((await isDir(join(dir, n))) && (await isJobDir(join(dir, n)))) jobDirs.push(join(dir, n));
  }
  const jobs: JobEntry[] = [];
  for (const d of jobDirs) jobs.push(await describeJob(d, opts.verify ?? false));
  return { dir, verified: opts.verify ?? false, jobs };
}

/** Whether a listing shows anything a restore would trip over. */
export function hasProblems(listing: CheckpointListing): boolean {
  return listing.jobs.some((j) => j.unreadable.length > 0 || j.checkpoints.some((c) => c.missing.length > 0 || (c.problems?.length ?? 0) > 0));
}

/** Sizes as people read them: bytes below 1 KiB, else KiB, MiB or GiB with one decimal. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  for (; v >= 1024 && u < units.length - 1; u++) v /= 1024;
  return `${v.toFixed(1)} ${units[u]}`;
}

const exact = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function flags(c: CheckpointEntry): string {
  const f = [c.savepoint && 'savepoint', c.final && 'final', c.missing.length > 0 && 'MISSING', (c.problems?.length ?? 0) > 0 && 'BAD', c.problems?.length === 0 && 'ok'];
  return f.filter(Boolean).join(',') || '-';
}

function formatJob(job: JobEntry): string[] {
  const out = [`job ${job.jobId}  (${job.dir})`];
  if (job.checkpoints.length === 0) out.push('  no completed checkpoints');
  else {
    const header = ['id', 'completed', 'mode', 'backend', 'flags', 'checkpointed', 'full state', 'files', 'barriers', 'processed', 'persisted'];
    const rows = job.checkpoints.map((c) => [
      String(c.id), c.completedAt, c.mode, c.backend, flags(c), formatBytes(c.checkpointedBytes), formatBytes(c.fullStateBytes), String(c.files),
      c.unaligned ? 'unaligned' : 'aligned', formatBytes(c.processedBytes), formatBytes(c.persistedBytes),
    ]);
    // Numbers right-aligned, words left-aligned, as in `ls -l`.
    const lines = textTable(header, rows, { align: ['right', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'left', 'right', 'right'], indent: '  ' });
    out.push(lines[0]!);
    job.checkpoints.forEach((c, i) => {
      out.push(lines[i + 1]!);
      for (const f of c.shared) out.push(`      shared ${f.path}  ${formatBytes(f.bytes)}`);
      for (const p of c.missing) out.push(`      MISSING ${p}`);
      for (const p of c.problems ?? []) out.push(`      BAD ${p}`);
    });
  }
  for (const u of job.unreadable) out.push(`  checkpoint ${u.id} UNREADABLE: ${u.reason}`);
  if (job.incomplete.length > 0) out.push(`  incomplete (no _metadata): ${job.incomplete.map((id) => `chk-${id}`).join(', ')}`);
  out.push(`  on disk: ${formatBytes(job.disk.bytes)} (${exact(job.disk.bytes)} bytes) in ${plural(job.disk.files, 'file')}`);
  if (job.orphans.length === 0) out.push('  orphans: none');
  else {
    out.push(`  orphans: ${plural(job.orphans.length, 'file')}, ${formatBytes(sum(job.orphans))} (${exact(sum(job.orphans))} bytes) referenced by no checkpoint`);
    for (const f of job.orphans) out.push(`      ${f.path}  ${formatBytes(f.bytes)}`);
  }
  return out;
}

/** The listing as a text report, one block per job. */
export function formatListing(listing: CheckpointListing): string {
  if (listing.jobs.length === 0) return `no job folders with checkpoints in ${listing.dir}\n`;
  return listing.jobs.map((j) => formatJob(j).join('\n')).join('\n\n') + '\n';
}
