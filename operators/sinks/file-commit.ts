/**
 * Part file names of the file sink and the folder housekeeping of its two-phase commit:
 * settling the files a resumed subtask inherits, and spotting an earlier run's output.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { RestoreContext } from '../api.js';

/** Where a part file is in the commit protocol. */
export type PartState = 'inprogress' | 'pending' | 'committed';

/** A part file name taken apart. */
export interface PartFile {
  name: string;
  state: PartState;
  subtask: number;
  /** Checkpoint id (0 when committed without checkpointing); NaN for an in-progress file. */
  id: number;
  format: string;
}

const COMMITTED = /^part-(\d+)-(\d+)\.(csv|jsonl)$/;
const PENDING = /^\.part-(\d+)-(\d+)\.(csv|jsonl)\.pending$/;
const IN_PROGRESS = /^\.part-(\d+)-([0-9a-f]+)\.(csv|jsonl)\.inprogress$/;

/** A fresh hidden name for the file a subtask is writing; random, so a restarted subtask never reopens an old one. */
export function inProgressName(subtask: number, format: string): string {
  return `.part-${subtask}-${randomBytes(8).toString('hex')}.${format}.inprogress`;
}

/** Hidden name of a file closed at the barrier of checkpoint `id`. */
export function pendingName(subtask: number, id: number, format: string): string {
  return `.part-${subtask}-${id}.${format}.pending`;
}

/** Visible name of a committed file. */
export function committedName(subtask: number, id: number, format: string): string {
  return `part-${subtask}-${id}.${format}`;
}

/** Takes a part file name apart; null for any other file. */
export function parsePart(name: string): PartFile | null {
  let m = COMMITTED.exec(name);
  if (m) return { name, state: 'committed', subtask: Number(m[1]), id: Number(m[2]), format: m[3] };
  m = PENDING.exec(name);
  if (m) return { name, state: 'pending', subtask: Number(m[1]), id: Number(m[2]), format: m[3] };
  m = IN_PROGRESS.exec(name);
  if (m) return { name, state: 'inprogress', subtask: Number(m[1]), id: NaN, format: m[3] };
  return null;
}

/** Makes renames and deletions in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Settles the files of the former subtasks a resumed subtask inherits, before it writes:
 * pending files the restored checkpoint covers are committed (the completion notice may have
 * been lost), everything written after it is deleted, since the replay writes it again.
 *
 * No two subtasks of this run touch the same file: former subtask j is inherited only by the
 * new subtask j mod parallelism, and each subtask also lists itself (after scaling up, a failed
 * attempt may have written under an index the checkpoint did not have). When j < parallelism
 * the only subtask settling j is j itself, the only one writing files named after j, and it
 * settles them in open(), before its first record; when j >= parallelism nobody writes j's
 * names any more.
 */
export function recoverParts(dir: string, restored: RestoreContext): void {
  const inherited = new Set(restored.inheritedSubtasks);
  const c = restored.checkpointId;
  let changed = false;
  for (const name of readdirSync(dir)) {
    const part = parsePart(name);
    if (!part || !inherited.has(part.subtask)) continue;
    if (part.state === 'committed' && part.id <= c) continue;
    if (part.state === 'pending' && part.id <= c) renameSync(join(dir, name), join(dir, committedName(part.subtask, part.id, part.format)));
    else rmSync(join(dir, name), { force: true });
    changed = true;
  }
  // A deletion undone by a crash would resurface as duplicate output after later checkpoints.
  if (changed) fsyncDirSync(dir);
}

/**
 * Committed or pending files an earlier run left that a fresh subtask must refuse to mix with.
 * Each subtask looks only at its own names and at names no subtask of this run uses: without
 * checkpointing a sibling may already have committed its file before this one opens. Every
 * leftover is still seen by some subtask. In-progress files are never looked at, for the same reason.
 */
export function leftoverParts(dir: string, subtask: number, parallelism: number): string[] {
  return readdirSync(dir).filter((name) => {
    const part = parsePart(name);
    return part !== null && part.state !== 'inprogress' && (part.subtask === subtask || part.subtask >= parallelism);
  });
}
