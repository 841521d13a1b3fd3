/** Where checkpoints go: the folder users name (a path or a file:// URI), job ids, and names safe in any file system. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomHex } from './fs-util.js';
import { ConfigError, errorMessage } from '../../base/errors.js';

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
export const sanitize = (name: string, fallback: string) =>
  name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|_+$/g, '').slice(0, 80) || fallback;

/** A job id that sorts by start time and stays unique when the same job starts twice in a second. */
export function newJobId(jobName: string, now: number = Date.now()): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${sanitize(jobName, 'job')}-${stamp}-${randomHex(6)}`;
}
