/**
 * Records of collect sinks, kept on the coordinator across the attempts of a restarting job.
 * Each batch carries its epoch: the id of the last checkpoint barrier its sink subtask had
 * passed. Restoring checkpoint c keeps exactly the batches of epochs below c, the records
 * that came before barrier c, because the replay emits everything after it again.
 */

/** Collected records by sink, with their epochs. */
export class CollectedResults {
  private readonly sinks = new Map<string, { epoch: number; records: unknown[] }[]>();

  /** Adds a batch a sink subtask sent. */
  add(sink: string, epoch: number, records: unknown[]): void {
    let list = this.sinks.get(sink);
    if (!list) this.sinks.set(sink, (list = []));
    list.push({ epoch, records });
  }

  /** The job restores checkpoint `checkpointId` (0: it starts over): drops what came after its barrier. */
  rollback(checkpointId: number): void {
    for (const [sink, list] of this.sinks) this.sinks.set(sink, list.filter((b) => b.epoch < checkpointId));
  }

  /** Records of each sink, in the order they arrived. */
  results(): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = {};
    for (const [sink, list] of this.sinks) {
      const all: unknown[] = (out[sink] = []);
      for (const b of list) for (const r of b.records) all.push(r);
    }
    return out;
  }
}
