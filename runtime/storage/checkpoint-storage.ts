/**
 * Checkpoint storage on the local file system, laid out as Flink's: `<job folder>/chk-<id>/` holds
 * one checkpoint's private files and its `_metadata`, `shared/` the files later checkpoints may
 * stand on. A checkpoint is complete once its `_metadata` exists and verifies, so it is written last.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileScope, SnapshotTarget, StateFileRef, StateFileSource, StateFileWriter } from '../../backends/snapshot.js';
import { type CheckpointMetadata, referencedFiles } from './metadata.js';
import { CheckpointError, ConfigError, CorruptCheckpointError, errorMessage } from '../../base/errors.js';

const READ_CHUNK = 1 << 20;
const METADATA = '_metadata';
const TMP_PREFIX = '_metadata.tmp-';
const CHK_DIR = /^chk-(\d+)$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A file found on disk, relative to the job folder. */
export type StoredFile = { path: string; bytes: number };

/** Turns a `--checkpoint-dir` value (plain path or `file://` URI) into an absolute path; errors name `option`. */
export function resolveCheckpointDir(uri: string, option = 'checkpoint-dir'): string {
  const value = uri.trim();
  if (value === '') throw new ConfigError(option, 'expected a folder path or a file:// URI, got an empty value');
  // Only `scheme://` (or `file:` alone) counts as a URI, so a folder named `a:b` stays a path.
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(value)?.[1] ?? (/^file:/i.test(value) ? 'file' : undefined);
  if (scheme === undefined) return resolve(value);
  if (scheme.toLowerCase() !== 'file') throw new ConfigError(option, `only local folders are supported (a path or file:///…), got "${uri}"`);
  try {
    return resolve(fileURLToPath(value));
  } catch (err) {
    throw new ConfigError(option, `"${uri}" is not a usable file URI: ${errorMessage(err)}`);
  }
}

/** Keeps names portable and free of separators; actor names carry spaces, arrows and slashes. */
const sanitize = (name: string, fallback: string) =>
  name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|_+$/g, '').slice(0, 80) || fallback;

/** A job id that sorts by start time and stays unique when the same job starts twice in a second. */
export function newJobId(jobName: string, now: number = Date.now()): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${sanitize(jobName, 'job')}-${stamp}-${hex(6)}`;
}

/** JSON with sorted keys, so the checksum does not depend on property order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

const ignoreEnoent = <T>(p: Promise<T>): Promise<T | undefined> =>
  p.catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));

async function withHandle<T>(file: string, flags: string | number, fn: (h: FileHandle) => Promise<T>): Promise<T> {
  const h = await fsp.open(file, flags);
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

/** Reads a file to its end for the checks a source makes after the last chunk. */
async function drain(chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _chunk of chunks);
}

/** Makes a directory entry durable: a created or renamed file only survives a crash once its folder is synced. */
const fsyncDir = (dir: string) => withHandle(dir, fsConstants.O_RDONLY, (h) => h.sync());

/** The file's bytes in chunks; the checksum can only be judged once the last chunk is read. */
async function* readVerified(storage: CheckpointStorage, ref: StateFileRef): AsyncIterable<Uint8Array> {
  const abs = storage.resolvePath(ref.path);
  const st = await ignoreEnoent(fsp.stat(abs));
  if (!st) throw new CorruptCheckpointError(abs, 'the file is missing');
  if (st.size !== ref.bytes) throw new CorruptCheckpointError(abs, `${st.size} bytes on disk, ${ref.bytes} expected`);
  const hash = createHash('sha256');
  let total = 0;
  const h = await fsp.open(abs, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      const n = (await h.read(buf, 0, READ_CHUNK, null)).bytesRead;
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      total += n;
      yield buf.subarray(0, n);
    }
  } finally {
    await h.close();
  }
  if (total !== ref.bytes) throw new CorruptCheckpointError(abs, `read ${total} bytes, ${ref.bytes} expected`);
  const digest = hash.digest('hex');
  if (digest !== ref.sha256) throw new CorruptCheckpointError(abs, `SHA-256 ${digest} differs from ${ref.sha256} in the metadata`);
}

/** Writes one state file; writes are queued because FileHandle.write must not overlap on one handle. */
class FileWriter implements StateFileWriter {
  private queue: Promise<void> = Promise.resolve();
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private failure: Error | undefined;
  private closing: Promise<StateFileRef> | undefined;
  private discarding: Promise<void> | undefined;
  constructor(readonly path: string, private readonly abs: string, private handle: FileHandle | undefined, private readonly checkpointId: number) {}

  write(chunk: Uint8Array): Promise<void> {
    if (this.closing || this.discarding) return Promise.reject(new Error(`write to ${this.abs} after close or discard`));
    // Not copied: the caller awaits each write before reusing its buffer, as the contract asks.
    this.queue = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      for (let off = 0; off < chunk.length;) off += (await this.handle!.write(chunk, off, chunk.length - off)).bytesWritten;
      this.hash.update(chunk);
      this.bytes += chunk.length;
    }).catch((err: unknown) => {
      throw (this.failure ??= new CheckpointError(this.checkpointId, `writing ${this.abs}: ${errorMessage(err)}`));
    });
    return this.queue;
  }

  close(entries: number): Promise<StateFileRef> {
    if (this.discarding) return Promise.reject(new Error(`close of ${this.abs} after discard`));
    this.closing ??= (async () => {
      await this.queue.catch(() => undefined);
      if (this.failure) throw this.failure;
      try {
        await this.handle!.sync();
        await this.handle!.close();
        this.handle = undefined;
        await fsyncDir(dirname(this.abs));
      } catch (err) {
        throw new CheckpointError(this.checkpointId, `closing ${this.abs}: ${errorMessage(err)}`);
      }
      return { path: this.path, bytes: this.bytes, sha256: this.hash.digest('hex'), entries };
    })();
    return this.closing;
  }

  discard(): Promise<void> {
    this.discarding ??= (async () => {
      await this.queue.catch(() => undefined);
      await this.closing?.catch(() => undefined);
      await this.handle?.close().catch(() => undefined);
      this.handle = undefined;
      await ignoreEnoent(fsp.unlink(this.abs));
    })();
    return this.discarding;
  }
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
          const name = scope === 'shared' ? `${who}-chk${checkpointId}-${what}-${hex(4)}.sfs` : `${who}-${what}-${hex(4)}.sfs`;
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
    return { read: (ref: StateFileRef) => readVerified(this, ref) };
  }

  /** Completes a checkpoint: the `_metadata` appears whole or not at all. */
  async writeMetadata(meta: CheckpointMetadata): Promise<void> {
    const dir = this.chkDir(meta.checkpointId);
    await fsp.mkdir(dir, { recursive: true });
    const plain = JSON.parse(JSON.stringify(meta)) as CheckpointMetadata;
    const text = JSON.stringify({ sha256: sha256(canonicalJson(plain)), metadata: plain }, null, 2) + '\n';
    const tmp = join(dir, TMP_PREFIX + hex(4));
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
