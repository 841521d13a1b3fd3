/**
 * Checkpoint storage on the local file system, laid out as Flink's: `<job folder>/chk-<id>/` holds
 * one checkpoint's private files and its `_metadata`, `shared/` the files later checkpoints may
 * stand on. A checkpoint is complete once its `_metadata` exists and verifies, so it is written last.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join, posix, resolve, sep } from 'node:path';
import type { FileScope, SnapshotTarget, StateFileRef, StateFileSource, StateFileWriter } from '../../backends/snapshot.js';
import { type CheckpointMetadata, referencedFiles } from './metadata.js';
import { CheckpointError, CorruptCheckpointError, errorMessage } from '../../base/errors.js';
import { drain, fsyncDir, ignoreEnoent, randomHex, withHandle } from './fs-util.js';
import { sanitize } from './paths.js';
import { FileWriter, readVerified } from './state-files.js';

const METADATA = '_metadata';
const TMP_PREFIX = '_metadata.tmp-';
const CHK_DIR = /^chk-(\d+)$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A file found on disk, relative to the job folder. */
export type StoredFile = { path: string; bytes: number };

/** JSON with sorted keys, so the checksum does not depend on property order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** Options of CheckpointStorage. */
export interface StorageOptions {
  /**
   * A savepoint folder: one self-contained checkpoint whose `_metadata` and files lie in the
   * folder itself, so it can be moved or copied as a whole.
   */
  flat?: boolean;
}

/** Reads and writes the checkpoints of one job folder (or one savepoint folder). */
export class CheckpointStorage {
  /** Absolute path of the job folder. */
  readonly jobDir: string;
  private readonly flat: boolean;
  constructor(jobDir: string, opts: StorageOptions = {}) {
    this.jobDir = resolve(jobDir);
    this.flat = opts.flat ?? false;
  }

  /** Absolute path of a stored file; metadata comes from disk, so paths with `.`, `..` or `//` (changed by normalize) are refused. */
  resolvePath(rel: string): string {
    const ok = this.flat ? /^[^/]+$/.test(rel) && rel !== '.' && rel !== '..' : /^(chk-\d+|shared)\/./.test(rel) && posix.normalize(rel) === rel;
    if (!ok) throw new CorruptCheckpointError(rel, `not a path inside the ${this.flat ? 'savepoint' : 'job'} folder ${this.jobDir}`);
    return join(this.jobDir, ...rel.split('/'));
  }

  private chkDir(id: number): string {
    if (!Number.isSafeInteger(id) || id < 0) throw new CheckpointError(id, 'a checkpoint id must be a non-negative integer');
    return this.flat ? this.jobDir : join(this.jobDir, `chk-${id}`);
  }

  /** Where one subtask's snapshot for one checkpoint writes its files. */
  target(checkpointId: number, owner: string): SnapshotTarget {
    const [chk, shared, who] = [this.chkDir(checkpointId), join(this.jobDir, 'shared'), sanitize(owner, 'state')];
    const flat = this.flat;
    return {
      checkpointId,
      async createFile(scope: FileScope, label: string): Promise<StateFileWriter> {
        if (flat && scope === 'shared') throw new CheckpointError(checkpointId, 'a savepoint is self-contained and cannot write shared files');
        const [what, dir] = [sanitize(label, 'file'), scope === 'shared' ? shared : chk];
        await fsp.mkdir(dir, { recursive: true });
        // 32 random bits rarely collide; 'wx' turns a collision into a retry instead of an overwrite.
        for (let attempt = 0; ; attempt++) {
          const name = scope === 'shared' ? `${who}-chk${checkpointId}-${what}-${randomHex(4)}.sfs` : `${who}-${what}-${randomHex(4)}.sfs`;
          const rel = flat ? name : scope === 'shared' ? `shared/${name}` : `chk-${checkpointId}/${name}`;
          try {
            return new FileWriter(rel, join(dir, name), await fsp.open(join(dir, name), 'wx'), checkpointId);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 8) continue;
            throw new CheckpointError(checkpointId, `creating ${join(dir, name)}: ${errorMessage(err)}`);
          }
        }
      },
    };
  }

  /** Reads files back, checking the size before and the checksum after the bytes were consumed. */
  source(): StateFileSource {
    const resolve = (path: string) => this.resolvePath(path);
    // A generator, so that a path outside the folder fails the read (where callers catch it), not the call.
    return { read: async function* (ref: StateFileRef) { yield* readVerified(resolve(ref.path), ref); } };
  }

  /** Completes a checkpoint: the `_metadata` appears whole or not at all. */
  async writeMetadata(meta: CheckpointMetadata): Promise<void> {
    const dir = this.chkDir(meta.checkpointId);
    await fsp.mkdir(dir, { recursive: true });
    const plain = JSON.parse(JSON.stringify(meta)) as CheckpointMetadata;
    const text = JSON.stringify({ sha256: sha256(canonicalJson(plain)), metadata: plain }, null, 2) + '\n';
    const tmp = join(dir, TMP_PREFIX + randomHex(4));
    try {
      await withHandle(tmp, 'wx', async (h) => (await h.writeFile(text, 'utf8'), h.sync()));
      await fsp.rename(tmp, join(dir, METADATA));
    } catch (err) {
      await ignoreEnoent(fsp.unlink(tmp));
      throw new CheckpointError(meta.checkpointId, `writing ${join(dir, METADATA)}: ${errorMessage(err)}`);
    }
    await fsyncDir(dir);
  }

  /** The metadata of a completed checkpoint, verified against the checksum stored with it. */
  async readMetadata(id: number): Promise<CheckpointMetadata> {
    const file = join(this.chkDir(id), METADATA);
    let doc: { sha256?: unknown; metadata?: CheckpointMetadata } | null;
    try {
      doc = JSON.parse(await fsp.readFile(file, 'utf8')) as typeof doc;
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new CorruptCheckpointError(file, missing ? 'the metadata file is missing' : `unreadable: ${errorMessage(err)}`);
    }
    const meta = doc?.metadata;
    if (typeof doc?.sha256 !== 'string' || !meta || typeof meta !== 'object') throw new CorruptCheckpointError(file, 'no checksum or no metadata');
    if (sha256(canonicalJson(meta)) !== doc.sha256) throw new CorruptCheckpointError(file, 'the metadata does not match its SHA-256');
    if (meta.format !== 'snapflow-checkpoint' || meta.version !== 1) throw new CorruptCheckpointError(file, `unknown format ${String(meta.format)} version ${String(meta.version)}`);
    if (meta.checkpointId !== id) throw new CorruptCheckpointError(file, `holds checkpoint ${meta.checkpointId}, not ${id}`);
    return meta;
  }

  /** Ids with a `_metadata` file (not yet verified), ascending. */
  async completedIds(): Promise<number[]> {
    if (this.flat) {
      const text = await ignoreEnoent(fsp.readFile(join(this.jobDir, METADATA), 'utf8'));
      let id: unknown;
      try {
        id = text === undefined ? undefined : (JSON.parse(text) as { metadata?: { checkpointId?: unknown } }).metadata?.checkpointId;
      } catch {
        // readMetadata reports what is wrong with the file; here it only has no usable id.
      }
      return typeof id === 'number' ? [id] : [];
    }
    const names = ((await ignoreEnoent(fsp.readdir(this.jobDir))) ?? []).filter((n) => CHK_DIR.test(n));
    const done = await Promise.all(names.map((n) => ignoreEnoent(fsp.stat(join(this.jobDir, n, METADATA)))));
    return names.filter((_n, i) => done[i]).map((n) => Number(n.slice(4))).sort((a, b) => a - b);
  }

  /** Every file under the job folder (or one of its folders), relative and '/'-separated, sorted by path. */
  async files(under = ''): Promise<StoredFile[]> {
    const root = join(this.jobDir, ...under.split('/').filter(Boolean));
    const out: StoredFile[] = [];
    for (const e of (await ignoreEnoent(fsp.readdir(root, { withFileTypes: true, recursive: true }))) ?? []) {
      const abs = join(e.parentPath, e.name);
      const st = e.isFile() ? await ignoreEnoent(fsp.stat(abs)) : undefined;
      if (st) out.push({ path: abs.slice(this.jobDir.length + 1).split(sep).join('/'), bytes: st.size });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Removes an aborted checkpoint: its folder and the shared files it wrote. */
  async discard(id: number, written: string[]): Promise<void> {
    await fsp.rm(this.chkDir(id), { recursive: true, force: true });
    for (const rel of written) await ignoreEnoent(fsp.unlink(this.resolvePath(rel)));
  }

  /** Deletes one stored file; returns whether it was there, so callers report each deletion once. */
  async remove(rel: string): Promise<boolean> {
    return (await ignoreEnoent(fsp.unlink(this.resolvePath(rel)).then(() => true))) ?? false;
  }

  /** Deletes all that the kept checkpoints do not need; only safe with no checkpoint in flight. */
  async sweep(keep: CheckpointMetadata[]): Promise<string[]> {
    const keptIds = new Set(keep.map((m) => m.checkpointId));
    const referenced = new Set(keep.flatMap((m) => referencedFiles(m).map((f) => f.path)));
    const removed: string[] = [];
    for (const name of (await ignoreEnoent(fsp.readdir(this.jobDir))) ?? []) {
      if (!CHK_DIR.test(name) || keptIds.has(Number(name.slice(4)))) continue;
      removed.push(...(await this.files(name)).map((f) => f.path));
      await fsp.rm(join(this.jobDir, name), { recursive: true, force: true });
    }
    for (const f of await this.files()) {
      const base = f.path.slice(f.path.lastIndexOf('/') + 1);
      const stray = f.path.startsWith('shared/') ? !referenced.has(f.path) : f.path.startsWith('chk-') && base.startsWith(TMP_PREFIX);
      if (stray && (await this.remove(f.path))) removed.push(f.path);
    }
    return removed.sort();
  }

  /** Checks a checkpoint's metadata and every file it stands on; an empty list means it can be restored. */
  async verify(id: number): Promise<string[]> {
    const meta = await this.readMetadata(id).catch((err: unknown) => errorMessage(err));
    if (typeof meta === 'string') return [meta];
    const problems: string[] = [];
    for (const ref of referencedFiles(meta)) await drain(this.source().read(ref)).catch((err: unknown) => problems.push(errorMessage(err)));
    return problems;
  }
}
