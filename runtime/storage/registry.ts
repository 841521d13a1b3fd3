/**
 * Which checkpoint files are still needed. Incremental checkpoints stand on bases and deltas
 * that earlier checkpoints wrote, so a file may only go once no retained checkpoint uses it:
 * every file carries a count of the retained checkpoints that reference it, as in Flink's
 * SharedStateRegistry.
 */
import { referencedFiles, type CheckpointMetadata } from './metadata.js';

/** Reference counts per file path over the checkpoints registered. */
export class SharedFileRegistry {
  private readonly counts = new Map<string, number>();

  /** Counts a checkpoint's files once each, however many subtasks list them. */
  register(meta: CheckpointMetadata): void {
    for (const f of referencedFiles(meta)) this.counts.set(f.path, (this.counts.get(f.path) ?? 0) + 1);
  }

  /** Drops a checkpoint's references; returns the paths no checkpoint references any more. */
  release(meta: CheckpointMetadata): string[] {
    const paths = referencedFiles(meta).map((f) => f.path);
    // Checked before any count changes, so a wrong release cannot leave the counts half updated.
    const unknown = paths.find((p) => !this.counts.has(p));
    if (unknown !== undefined) throw new Error(`checkpoint ${meta.checkpointId} releases ${unknown}, which no registered checkpoint references`);
    const zero: string[] = [];
    for (const p of paths) {
      const n = this.counts.get(p)! - 1;
      if (n === 0) {
        this.counts.delete(p);
        zero.push(p);
      } else this.counts.set(p, n);
    }
    return zero;
  }

  /** Retained checkpoints that reference the file (0 for an unknown path). */
  refs(path: string): number {
    return this.counts.get(path) ?? 0;
  }

  /** Number of paths with at least one reference. */
  get size(): number {
    return this.counts.size;
  }

  /** Every tracked path with its count, sorted by path, so two registries can be compared. */
  entries(): [string, number][] {
    return [...this.counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
