/**
 * The bare baseline that channel throughput is judged against: one thread produces
 * batches of synthetic records and posts them over a single MessagePort to a second
 * thread that decodes and counts them. No flow control, no operators.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { pack, unpack } from 'msgpackr';
import { fileURLToPath } from 'node:url';

/** How a batch crosses the thread boundary. */
export type PipeEncoding = 'msgpack' | 'clone';

/** Options of one baseline run. */
export interface PipeOptions {
  records: number;
  batchSize: number;
  encoding: PipeEncoding;
}

/** Result of one baseline run. */
export interface PipeResult extends PipeOptions {
  elapsedMs: number;
  recordsPerSec: number;
}

interface BaselineRecord { seq: number; key: string; value: number; ts: number }

function makeBatch(start: number, size: number): BaselineRecord[] {
  const out = new Array<BaselineRecord>(size);
  for (let i = 0; i < size; i++) {
    const seq = start + i;
    out[i] = { seq, key: 'k' + (seq % 1000), value: seq * 0.5, ts: 0 };
  }
  return out;
}

function producer(opts: PipeOptions): void {
  const port = parentPort!;
  for (let sent = 0; sent < opts.records; sent += opts.batchSize) {
    const batch = makeBatch(sent, Math.min(opts.batchSize, opts.records - sent));
    if (opts.encoding === 'msgpack') {
      const bytes = pack(batch);
      const buf = new ArrayBuffer(bytes.length);
      new Uint8Array(buf).set(bytes);
      port.postMessage(buf, [buf]);
    } else {
      port.postMessage(batch);
    }
  }
  port.postMessage(null);
}

/** Runs one producer thread and counts on this thread; resolves with the measured rate. */
export function runPipeBaseline(opts: PipeOptions): Promise<PipeResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: opts });
    let received = 0;
    const start = performance.now();
    worker.on('message', (msg: ArrayBuffer | BaselineRecord[] | null) => {
      if (msg === null) {
        const elapsedMs = performance.now() - start;
        if (received !== opts.records) reject(new Error(`pipe baseline lost records: ${received}/${opts.records}`));
        else resolve({ ...opts, elapsedMs, recordsPerSec: Math.round((received / elapsedMs) * 1000) });
        return;
      }
      const batch = msg instanceof ArrayBuffer ? (unpack(new Uint8Array(msg)) as BaselineRecord[]) : msg;
      received += batch.length;
    });
    worker.on('error', reject);
  });
}

if (!isMainThread && workerData && (workerData as PipeOptions).encoding) producer(workerData as PipeOptions);
