/** A test helper: an output channel that records what is sent and whose credit the test hands out. */
import type { OutputChannel } from '../../runtime/transport/channel.js';
import { CreditWindow } from '../../runtime/transport/credit.js';
import type { DataMessage } from '../../runtime/transport/protocol.js';

/** An output channel that records what is sent and whose credit the test hands out. */
export class FakeChannel implements OutputChannel {
  readonly sent: DataMessage[] = [];
  private creditFn: () => void = () => {};
  private batchSizeFn: (records: number) => void = () => {};
  private readonly credit: CreditWindow;
  closed = false;

  /** Starts with `window - initial` batches already in flight. */
  constructor(readonly window: number, initial = window) {
    this.credit = new CreditWindow(window, { operator: 'fake' });
    for (let i = initial; i < window; i++) this.credit.spend();
  }

  send(msg: DataMessage): void {
    if (this.closed) throw new Error('send after close');
    if (msg.kind === 'batch') this.credit.spend();
    this.sent.push(msg);
  }

  credits(): number {
    return this.credit.credits;
  }

  inFlight(): number {
    return this.credit.inFlight;
  }

  onCredit(fn: () => void): void {
    this.creditFn = fn;
  }

  onBatchSize(fn: (records: number) => void): void {
    this.batchSizeFn = fn;
  }

  close(): void {
    this.closed = true;
  }

  /** Simulates the receiver asking for smaller batches. */
  askBatchSize(records: number): void {
    this.batchSizeFn(records);
  }

  /** Simulates credit arriving from the receiver. */
  grant(n: number): void {
    this.credit.grant(n);
    this.creditFn();
  }

  /** What was sent, batches shown as their records and events by kind (barriers with their id, statuses as idle or active). */
  summary(): unknown[] {
    return this.sent.map((m) => {
      switch (m.kind) {
        case 'batch': return m.records;
        case 'barrier': return `barrier ${m.id}`;
        case 'status': return m.idle ? 'idle' : 'active';
        default: return m.kind;
      }
    });
  }
}
