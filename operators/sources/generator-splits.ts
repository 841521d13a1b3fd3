/**
 * Splits of the synthetic transaction source (see generator.ts): parsing the positions a
 * restored reader inherits, and merging a reader's splits in sequence order.
 */
import type { SourceSplitState } from '../api.js';
import { ConfigError } from '../../base/errors.js';

/**
 * A share of the generator's stream: the sequence numbers next, next+stride, … below
 * `records`. A position() is an array of these; it is plain data, safe to serialize.
 */
export interface GeneratorSplit {
  next: number;
  stride: number;
}

/** Why `split` is not a usable split of a stream starting at startAt, or undefined if it is. */
function splitProblem(split: unknown, startAt: number): string | undefined {
  if (typeof split !== 'object' || split === null) return `has a split that is not an object: ${JSON.stringify(split)}`;
  const { next, stride } = split as Record<string, unknown>;
  if (!Number.isSafeInteger(next) || !Number.isSafeInteger(stride)) {
    return `has a split whose next and stride are not both integers: ${JSON.stringify(split)}`;
  }
  if ((stride as number) < 1) return `has a split with stride ${String(stride)} < 1`;
  if ((next as number) < startAt) return `has a split at ${String(next)}, before startAt ${startAt}`;
  return undefined;
}

/**
 * Copies of the splits in the positions of the former subtasks `restored`, in no particular
 * order. Throws ConfigError('restored') naming the former subtask whose position is malformed.
 */
export function restoredSplits(restored: readonly SourceSplitState[], startAt: number): GeneratorSplit[] {
  if (!Array.isArray(restored)) throw new ConfigError('restored', `must be an array of split states, got ${String(restored)}`);
  const splits: GeneratorSplit[] = [];
  for (const state of restored) {
    const position: unknown = state?.position;
    const problem = Array.isArray(position)
      ? position.map((split) => splitProblem(split, startAt)).find((p) => p !== undefined)
      : `must be an array of { next, stride } splits, got ${JSON.stringify(position)}`;
    if (problem !== undefined) throw new ConfigError('restored', `position of former subtask ${String(state?.subtask)} ${problem}`);
    // Copies, so that advancing the reader never mutates the caller's checkpoint data.
    for (const { next, stride } of position as GeneratorSplit[]) splits.push({ next, stride });
  }
  return splits;
}

function before(a: GeneratorSplit, b: GeneratorSplit): boolean {
  return a.next < b.next || (a.next === b.next && a.stride < b.stride);
}

/**
 * A reader's splits, merged in ascending sequence order. The head split (smallest next) is
 * unboxed in next/stride for the reader's emit loop, which runs it up to `limit` and then
 * calls advance(); the others wait in a min-heap by next, so a switch costs O(log n).
 */
export class SplitMerge {
  /** Next number of the head split; ≥ records once every split is exhausted. */
  next: number;
  stride: number;
  /** The smallest next among the other splits, or Infinity when there are none. */
  limit: number;
  private readonly heap: GeneratorSplit[] = [];

  constructor(splits: readonly GeneratorSplit[], private readonly records: number) {
    for (const s of splits) if (s.next < records) this.push(s);
    const head = this.heap.length > 0 ? this.pop() : { next: records, stride: 1 };
    this.next = head.next;
    this.stride = head.stride;
    this.limit = this.heap.length > 0 ? this.heap[0]!.next : Infinity;
  }

  /**
   * Makes the split with the smallest next the head, once the head reached `limit` or is
   * exhausted; false if the head is the only split left.
   */
  advance(): boolean {
    const heap = this.heap;
    if (heap.length === 0) return false;
    const top = heap[0]!;
    let next = this.next;
    // Overlapping splits meet here; the set union emits their common number once.
    if (next === top.next) next += this.stride;
    const stride = top.stride;
    this.next = top.next;
    if (next < this.records) {
      // The old head takes the top's place: no allocation per switch, which can be per record.
      top.next = next;
      top.stride = this.stride;
      this.siftDown();
    } else {
      this.pop();
    }
    this.stride = stride;
    this.limit = heap.length > 0 ? heap[0]!.next : Infinity;
    return true;
  }

  /** Fresh copies of the unexhausted splits, ordered by next. */
  splits(): GeneratorSplit[] {
    const all = this.heap.map((s) => ({ next: s.next, stride: s.stride }));
    if (this.next < this.records) all.push({ next: this.next, stride: this.stride });
    return all.sort((a, b) => a.next - b.next || a.stride - b.stride);
  }

  private push(split: GeneratorSplit): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(split);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(split, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = split;
  }

  private pop(): GeneratorSplit {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown();
    }
    return top;
  }

  /** Restores the heap order after heap[0] was replaced or increased. */
  private siftDown(): void {
    const heap = this.heap;
    const n = heap.length;
    const moving = heap[0]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap[child + 1]!, heap[child]!)) child++;
      if (!before(heap[child]!, moving)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = moving;
  }
}
