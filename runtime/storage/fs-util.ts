/** Small file-system steps checkpoint storage takes often: durable renames, tolerated absences, random names. */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Random hex digits for file names that must not collide. */
export const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The promise's value, or undefined if the file it touched did not exist. */
export const ignoreEnoent = <T>(p: Promise<T>): Promise<T | undefined> =>
  p.catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));

/** Runs `fn` on the opened file and closes it, whatever happens. */
export async function withHandle<T>(file: string, flags: string | number, fn: (h: FileHandle) => Promise<T>): Promise<T> {
  const h = await fsp.open(file, flags);
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

/** Makes a directory entry durable: a created or renamed file only survives a crash once its folder is synced. */
export const fsyncDir = (dir: string) => withHandle(dir, fsConstants.O_RDONLY, (h) => h.sync());

/** Reads a file to its end for the checks a source makes after the last chunk. */
export async function drain(chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _chunk of chunks);
}
