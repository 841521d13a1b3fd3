/**
 * The checkpoint benchmark's job: the update source (`update-reader.ts`), asking for a
 * checkpoint after the load and after every round in `rounds` mode → keyBy key → value
 * state per key → discard.
 */
import { defineJob } from '../../runtime/api/job.js';
import { UpdateReader, type Update, type UpdateReaderParams } from './update-reader.js';

/** Parameters of the checkpoint benchmark job: the update source's, and the padding stored in every value. */
export type CheckpointJobParams = Omit<UpdateReaderParams, 'checkpointLastRound'> & { valueBytes: number };

export default defineJob<CheckpointJobParams>((env, p) => {
  const pad = 'x'.repeat(p.valueBytes);
  env.addSource<Update>('Source: Updates', { createReader: () => new UpdateReader({ ...p, checkpointLastRound: true }), maxParallelism: 1 })
    .keyBy((r) => r.key)
    .process<never>((r, ctx) => {
      const v = ctx.valueState<{ n: number; last: number; pad: string }>('v');
      v.update({ n: (v.value()?.n ?? 0) + 1, last: r.seq, pad });
    }, 'Keyed: update value')
    .discard();
});
