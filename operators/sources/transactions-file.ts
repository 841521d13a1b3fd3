/**
 * Large synthetic transaction files in the shape of data/data.csv (transaction_id,
 * customer_id, amount, timestamp as ISO 8601), streamed with bounded memory. Row i is the
 * generator's record with sequence number i, so a job reading the file and a job generating
 * the same records on the fly (fromGenerator with the same records, keys, skew and seed) see
 * the same data, and a seed always gives the same bytes.
 */
import { createWriteStream, openSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ConfigError, errorMessage } from '../../base/errors.js';
import { generateTransaction, resolveGeneratorOptions, type GeneratorOptions } from './generator.js';

/** Options of writeTransactionsFile. */
export interface TransactionsFileOptions {
  rows: number;
  keys: number;
  /** `uniform` or `zipf:S` (S ≥ 0, e.g. zipf:1.1). */
  skew: string;
  seed: number;
  /** A file path, or '-' for stdout. */
  out: string;
  /** Called now and then with the rows written so far (for a progress bar). */
  progress?(rows: number): void;
}

/** Generator options of a skew value; errors name `--skew`. */
export function skewOptions(skew: string): Pick<GeneratorOptions, 'distribution' | 'zipfExponent'> {
  if (skew === 'uniform') return { distribution: 'uniform' };
  const m = /^zipf(?::([0-9]*\.?[0-9]+))?$/.exec(skew);
  if (!m) throw new ConfigError('--skew', `expected uniform or zipf:S with S ≥ 0 (e.g. zipf:1.1), got "${skew}"`);
  return { distribution: 'zipf', zipfExponent: m[1] === undefined ? 1.1 : Number(m[1]) };
}

const HEADER = 'transaction_id,customer_id,amount,timestamp\n';
const CHUNK_CHARS = 1 << 20;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/** ISO timestamps of whole seconds; the date part is formatted once per day, not per row. */
class IsoSeconds {
  private day = -1;
  private prefix = '';

  format(ms: number): string {
    const day = Math.floor(ms / 86_400_000);
    if (day !== this.day) {
      this.day = day;
      this.prefix = new Date(day * 86_400_000).toISOString().slice(0, 11);
    }
    const s = Math.floor((ms - day * 86_400_000) / 1000);
    return `${this.prefix}${TWO_DIGITS[Math.floor(s / 3600)]}:${TWO_DIGITS[Math.floor(s / 60) % 60]}:${TWO_DIGITS[s % 60]}Z`;
  }
}

/** Waits until the stream can take more, so memory stays bounded whatever the row count. */
function write(stream: Writable, text: string): Promise<void> | null {
  if (stream.write(text)) return null;
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      stream.off('drain', done);
      stream.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
  });
}

/** Writes the file; resolves with the bytes written. */
export async function writeTransactionsFile(o: TransactionsFileOptions): Promise<number> {
  if (!Number.isSafeInteger(o.rows) || o.rows < 0) throw new ConfigError('--rows', `expected a non-negative integer, got ${o.rows}`);
  if (!Number.isSafeInteger(o.keys) || o.keys < 1) throw new ConfigError('--keys', `expected a positive integer, got ${o.keys}`);
  if (!Number.isSafeInteger(o.seed)) throw new ConfigError('--seed', `expected an integer, got ${o.seed}`);
  const gen = resolveGeneratorOptions({ records: o.rows, keys: o.keys, seed: o.seed, ...skewOptions(o.skew) });
  const toStdout = o.out === '-';
  let fd: number | undefined;
  if (!toStdout) {
    // Opened here, so a path that cannot be written fails before any work, naming the file.
    try {
      fd = openSync(o.out, 'w');
    } catch (err) {
      throw new ConfigError('--out', `cannot write ${o.out}: ${errorMessage(err)}`);
    }
  }
  const stream: Writable = fd === undefined ? process.stdout : createWriteStream(o.out, { fd });
  const failed = new Promise<never>((_, reject) => stream.once('error', (err) => reject(new ConfigError('--out', `cannot write ${o.out}: ${err.message}`))));
  failed.catch(() => {});
  const iso = new IsoSeconds();
  let bytes = 0;
  let chunk = HEADER;
  for (let seq = 0; seq < o.rows; seq++) {
    const tx = generateTransaction(seq, gen);
    chunk += `${tx.transaction_id},${tx.customer_id},${tx.amount.toFixed(2)},${iso.format(tx.timestamp)}\n`;
    if (chunk.length < CHUNK_CHARS) continue;
    bytes += chunk.length;
    const wait = write(stream, chunk);
    chunk = '';
    if (wait) await Promise.race([wait, failed]);
    o.progress?.(seq + 1);
  }
  bytes += chunk.length;
  const wait = write(stream, chunk);
  if (wait) await Promise.race([wait, failed]);
  if (!toStdout) {
    stream.end();
    await Promise.race([finished(stream), failed]);
  }
  o.progress?.(o.rows);
  return bytes;
}
