/**
 * The channel state of an actor's unaligned checkpoints: the in-flight batches a barrier
 * overtook, on the input side (queued before it, or still arriving on a channel whose barrier
 * has not come) and on the output side (the backlog it jumped). Each batch is encoded as it is
 * taken, so that an operator working on the records afterwards cannot change what the
 * checkpoint keeps; once the last barrier has arrived the whole is written as one file.
 */
import type { SnapshotTarget } from '../../backends/snapshot.js';
import type { ErrorOrigin } from '../../base/errors.js';
import { encodeBatch, encodeChannelState, type ChannelStateDocument } from '../transport/codec.js';
import type { BatchMessage } from '../transport/protocol.js';
import type { ChannelStateHandle } from '../storage/metadata.js';

/** What writing one checkpoint's channel state produced. */
export interface ChannelStateResult {
  /** Absent when nothing was in flight. */
  handle?: ChannelStateHandle;
  /** Bytes of the in-flight batches kept (Flink's persisted data). */
  persistedBytes: number;
  /** Bytes read from the first barrier to the last one of the checkpoint here (Flink's processed data). */
  processedBytes: number;
}

/** The asynchronous part of a checkpoint's channel state, as the participant runs it. */
export interface ChannelStateWork {
  write(target: SnapshotTarget): Promise<ChannelStateResult>;
  cancel(reason: string): void;
}

interface Recording {
  inputs: Map<number, Uint8Array[]>;
  outputs: Map<number, Uint8Array[]>;
  bytes: number;
  processedBytes: number;
  whole: Promise<void>;
  finish(): void;
  fail(err: Error): void;
}

/** Collects the channel state of every unaligned checkpoint in progress at one actor. */
export class ChannelStateRecorder {
  private readonly recordings = new Map<number, Recording>();

  constructor(private readonly origin: ErrorOrigin) {}

  /** Starts collecting for checkpoint `id` (once). */
  begin(id: number): void {
    if (this.recordings.has(id)) return;
    let finish!: () => void;
    let fail!: (err: Error) => void;
    const whole = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
    whole.catch(() => {});
    this.recordings.set(id, { inputs: new Map(), outputs: new Map(), bytes: 0, processedBytes: 0, whole, finish, fail });
  }

  /** Whether checkpoint `id` is being collected. */
  has(id: number): boolean {
    return this.recordings.has(id);
  }

  /** A batch that input channel `channel` delivered before its barrier of checkpoint `id`. */
  input(id: number, channel: number, batch: BatchMessage): void {
    const r = this.recordings.get(id);
    if (r) this.add(r, r.inputs, channel, batch);
  }

  /** The batches each output channel held back when the barrier of checkpoint `id` overtook them. */
  outputs(id: number, perChannel: BatchMessage[][]): void {
    const r = this.recordings.get(id);
    if (r) perChannel.forEach((batches, channel) => batches.forEach((b) => this.add(r, r.outputs, channel, b)));
  }

  /** Every barrier of checkpoint `id` has arrived: its channel state is whole; `processedBytes` were read meanwhile. */
  finish(id: number, processedBytes = 0): void {
    const r = this.recordings.get(id);
    if (!r) return;
    r.processedBytes = processedBytes;
    r.finish();
  }

  /** Drops checkpoint `id`'s collection; a write waiting for it fails with `reason`. */
  abort(id: number, reason: string): void {
    const r = this.recordings.get(id);
    this.recordings.delete(id);
    r?.fail(new Error(reason));
  }

  /** The work that waits for checkpoint `id`'s channel state to be whole and writes it; null if none is collected. */
  work(id: number): ChannelStateWork | null {
    const r = this.recordings.get(id);
    if (!r) return null;
    return {
      write: async (target) => {
        await r.whole;
        this.recordings.delete(id);
        const result: ChannelStateResult = { persistedBytes: r.bytes, processedBytes: r.processedBytes };
        const inputBatches = count(r.inputs);
        const outputBatches = count(r.outputs);
        if (inputBatches + outputBatches === 0) return result;
        const doc: ChannelStateDocument = { inputs: [...r.inputs], outputs: [...r.outputs] };
        const writer = await target.createFile('exclusive', 'channel-state');
        try {
          await writer.write(encodeChannelState(doc));
          result.handle = { file: await writer.close(inputBatches + outputBatches), inputBatches, outputBatches };
        } catch (err) {
          await writer.discard();
          throw err;
        }
        return result;
      },
      cancel: (reason) => this.abort(id, reason),
    };
  }

  private add(r: Recording, side: Map<number, Uint8Array[]>, channel: number, batch: BatchMessage): void {
    const bytes = encodeBatch(batch, this.origin);
    r.bytes += bytes.length;
    const list = side.get(channel);
    if (list) list.push(bytes);
    else side.set(channel, [bytes]);
  }
}

const count = (side: Map<number, Uint8Array[]>) => [...side.values()].reduce((n, l) => n + l.length, 0);
