/**
 * Writes records to a folder as CSV or JSON lines, each subtask to its own part files, as
 * Flink's FileSink does, so parallel subtasks never share a file.
 *
 * Exactly-once file output: a subtask writes to a hidden in-progress file
 * (`.part-<subtask>-<random>.<fmt>.inprogress`), opened at the first record after open or a
 * barrier. At the barrier of checkpoint n it closes and fsyncs that file and renames it to
 * `.part-<subtask>-<n>.<fmt>.pending` (pre-commit); the checkpoint is acknowledged only once the
 * rename is durable. When a checkpoint completes, every pending file up to its id is renamed to
 * `part-<subtask>-<n>.<fmt>` (commit), so readers only ever see output a completed checkpoint
 * covers. On restore from checkpoint c, pending files up to c are committed and anything written
 * after c is deleted, because the replay writes it again. Without checkpointing the single file
 * is committed as `part-<subtask>-0.<fmt>` when the bounded job finishes.
 */
import { createWriteStream, mkdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, SnapflowError, type ErrorOrigin, errorMessage } from '../../base/errors.js';
import type { Collector, OperatorContext, StreamOperator } from '../api.js';
import { BufferedWriter } from './writer.js';
import { csvColumns, csvField, toCsvLine, toJson } from './format.js';
import { committedName, fsyncDir, inProgressName, leftoverParts, pendingName, recoverParts } from './file-commit.js';

/** Output format of the file sink. */
export type FileFormat = 'csv' | 'jsonl';

/** Options of the file sink. */
export interface FileSinkOptions {
  format?: FileFormat;
}

interface OpenFile {
  path: string;
  stream: WriteStream;
  writer: BufferedWriter;
}

/** Resolves once the stream has closed (after its fsync); rejects with its error. */
async function closed(stream: WriteStream): Promise<void> {
  if (!stream.closed) await new Promise<void>((resolve) => stream.once('close', () => resolve()));
  if (stream.errored) throw stream.errored;
}

/** The file sink: exactly-once with checkpointing, output committed at the end without. */
export class FileSink implements StreamOperator {
  private readonly format: FileFormat;
  private subtask = 0;
  private checkpointing = false;
  private origin: ErrorOrigin = {};
  private current: OpenFile | null = null;
  private columns: string[] | null = null;
  /** Durable pending files not committed yet (a checkpoint after theirs may have been aborted). */
  private pending: { id: number; name: string }[] = [];
  /** Settles once every file handed to snapshotState so far is durable; rejects if one failed. */
  private sealed: Promise<void> = Promise.resolve();
  /** Seals still running, awaited by close() so that no descriptor outlives the subtask. */
  private readonly inFlight = new Set<Promise<void>>();
  private completed = 0;
  /** A lost pending file loses records, so the subtask cannot go on after it. */
  private failure: unknown = null;

  constructor(private readonly dir: string, options: FileSinkOptions = {}) {
    this.format = options.format ?? 'csv';
    if (this.format !== 'csv' && this.format !== 'jsonl') throw new ConfigError('format', `must be csv or jsonl, got ${String(this.format)}`);
  }

  open(ctx: OperatorContext): void {
    this.subtask = ctx.subtask;
    this.checkpointing = ctx.checkpointing === true;
    this.origin = { operator: ctx.operatorName, subtask: ctx.subtask, parallelism: ctx.parallelism };
    mkdirSync(this.dir, { recursive: true });
    if (ctx.restored) {
      recoverParts(this.dir, ctx.restored);
      this.completed = ctx.restored.checkpointId;
      return;
    }
    const left = leftoverParts(this.dir, ctx.subtask, ctx.parallelism);
    if (left.length > 0) {
      const found = left.slice(0, 3).join(', ') + (left.length > 3 ? ', …' : '');
      throw new ConfigError('dir', `${this.dir} holds part files of an earlier run; remove them or resume the job from a checkpoint (found ${found})`, this.origin);
    }
  }

  process(record: unknown, _out: Collector): void {
    const file = this.current ?? this.startFile(record);
    try {
      file.writer.write((this.format === 'jsonl' ? toJson(record) : toCsvLine(record, this.columns!)) + '\n');
    } catch (err) {
      throw this.named(err, file.path);
    }
  }

  blocked(): Promise<void> | null {
    if (this.failure !== null) return Promise.reject(this.failure);
    const file = this.current;
    const wait = file?.writer.blocked();
    return wait ? wait.catch((err: unknown) => Promise.reject(this.named(err, file!.path))) : null;
  }

  snapshotState(id: number): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const file = this.current;
    this.current = null;
    if (!file) return this.sealed;
    const name = pendingName(this.subtask, id, this.format);
    const seal = this.seal(file, name).then(() => {
      this.pending.push({ id, name });
      if (id <= this.completed) this.commitUpTo(this.completed);
    });
    // Chained, so that acknowledging checkpoint n also vouches for earlier pending files whose
    // checkpoint was aborted: n's completion commits them.
    const done = Promise.all([this.sealed, seal]).then(() => {});
    this.sealed = done;
    done.catch((err: unknown) => (this.failure ??= err));
    return done;
  }

  notifyCheckpointComplete(id: number): void {
    this.completed = Math.max(this.completed, id);
    this.commitUpTo(id);
  }

  async finish(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    const file = this.current;
    if (!file) return;
    if (this.checkpointing) {
      // The final checkpoint's barrier seals this file and its completion commits it.
      await file.writer.finish(false).catch((err: unknown) => Promise.reject(this.named(err, file.path)));
      return;
    }
    this.current = null;
    await this.seal(file, committedName(this.subtask, 0, this.format));
  }

  async close(): Promise<void> {
    const file = this.current;
    this.current = null;
    if (file) {
      // Its records belong to no completed checkpoint: the replay after a restore writes them again.
      file.writer.destroy();
      await closed(file.stream).catch(() => {});
      rmSync(file.path, { force: true });
    }
    await Promise.allSettled([...this.inFlight]);
  }

  private startFile(record: unknown): OpenFile {
    const path = join(this.dir, inProgressName(this.subtask, this.format));
    const stream = createWriteStream(path, { flags: 'wx', flush: true });
    const file: OpenFile = { path, stream, writer: new BufferedWriter(stream) };
    this.current = file;
    if (this.format === 'csv') {
      this.columns ??= csvColumns(record);
      // Every file gets the header, so each committed file is a valid CSV on its own.
      file.writer.write(this.columns.map(csvField).join(',') + '\n');
    }
    return file;
  }

  /** Ends, fsyncs and renames a file to `name`, then makes the rename durable. */
  private seal(file: OpenFile, name: string): Promise<void> {
    const run = (async () => {
      try {
        await file.writer.finish(true);
        await closed(file.stream);
        await rename(file.path, join(this.dir, name));
        await fsyncDir(this.dir);
      } catch (err) {
        throw this.named(err, file.path);
      }
    })();
    this.inFlight.add(run);
    run.then(() => this.inFlight.delete(run), () => this.inFlight.delete(run));
    return run;
  }

  /** Commits own pending files up to `id`; a lost rename is redone by the restore, so no fsync here. */
  private commitUpTo(id: number): void {
    for (const p of this.pending.filter((q) => q.id <= id)) {
      const from = join(this.dir, p.name);
      try {
        renameSync(from, join(this.dir, committedName(this.subtask, p.id, this.format)));
      } catch (err) {
        throw this.named(err, from);
      }
      this.pending.splice(this.pending.indexOf(p), 1);
    }
  }

  /** An error that names the file, keeping the original as its cause. */
  private named(err: unknown, path: string): SnapflowError {
    if (err instanceof SnapflowError) return err;
    const message = errorMessage(err);
    return new SnapflowError(message.includes(path) ? message : `${path}: ${message}`, {
      origin: this.origin, retriable: true, cause: err, detail: { file: path },
    });
  }
}
