/**
 * Credit-based flow control, both ends: the receiver grants a window of batches, the sender
 * spends one credit per batch and may send none without, and processed batches give their
 * credit back. A stalled receiver therefore stalls its senders, and through them the sources.
 */
import { ChannelError, type ErrorOrigin } from '../../base/errors.js';

/** The sender's side: how many batches it may still send before credit comes back. */
export class CreditWindow {
  private available: number;

  constructor(readonly window: number, private readonly origin: ErrorOrigin) {
    this.available = window;
  }

  /** Batches that may be sent now. */
  get credits(): number {
    return this.available;
  }

  /** Batches sent whose credit has not come back yet. */
  get inFlight(): number {
    return this.window - this.available;
  }

  /** Spends one credit on a batch; a sender that did not check credits first is a bug, reported as a channel failure. */
  spend(): void {
    if (this.available <= 0) throw new ChannelError(this.origin, 'batch sent without credit');
    this.available--;
  }

  /** Credit for `n` processed batches came back. */
  grant(n: number): void {
    this.available += n;
  }
}

/**
 * The receiver's side: processed batches are returned in groups of half the window, which
 * keeps credit messages rare yet can never leave the sender starved while the receiver has
 * nothing to process.
 */
export class CreditReturner {
  private pending = 0;
  private readonly threshold: number;

  constructor(window: number, private readonly give: (n: number) => void) {
    this.threshold = Math.max(1, Math.floor(window / 2));
  }

  /** Counts one processed batch, returning credit once enough have accumulated. */
  release(): void {
    if (++this.pending >= this.threshold) {
      const n = this.pending;
      this.pending = 0;
      this.give(n);
    }
  }
}
