/** A bounded source over an in-memory array (parallelism 1, like Flink's fromCollection). */
import type { Collector, SourceReader } from '../api.js';

/** Emits the items of an array in order; position() is the index of the next item. */
export class CollectionReader implements SourceReader {
  private next: number;

  constructor(private readonly items: readonly unknown[], startAt = 0) {
    this.next = startAt;
  }

  open(): void {}

  poll(max: number, out: Collector): boolean {
    const end = Math.min(this.items.length, this.next + max);
    for (; this.next < end; this.next++) out.collect(this.items[this.next]);
    return this.next < this.items.length;
  }

  position(): number {
    return this.next;
  }
}
