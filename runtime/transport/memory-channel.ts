/**
 * Channels between actors on the same thread. Messages go through the same codec as
 * the port channels (so a record that cannot cross a thread fails here too) and are
 * delivered asynchronously, in order, like port messages.
 */
import { ChannelError, type ErrorOrigin } from '../../base/errors.js';
import type { InputChannel, OutputChannel } from './channel.js';
import { decode, encode, type WireMessage } from './codec.js';
import { CreditReturner, CreditWindow } from './credit.js';
import { Mailbox } from './mailbox.js';

/** Both ends of an in-memory channel. */
export interface MemoryChannelPair {
  output: OutputChannel;
  input: InputChannel;
}

/** Creates a connected in-memory channel with the given credit window. */
export function memoryChannel(window: number, origin: ErrorOrigin): MemoryChannelPair {
  const down = new Mailbox<WireMessage>();
  const up = new Mailbox<number | { batchSize: number }>();
  const credit = new CreditWindow(window, origin);
  let inputClosed = false;
  let outputClosed = false;
  let creditFn: () => void = () => {};
  let batchSizeFn: (records: number) => void = () => {};
  up.listen((m) => {
    if (outputClosed) return;
    if (typeof m !== 'number') return batchSizeFn(m.batchSize);
    credit.grant(m);
    creditFn();
  });
  const returner = new CreditReturner(window, (n) => {
    if (!inputClosed) up.post(n);
  });
  const output: OutputChannel = {
    send(msg) {
      if (outputClosed || inputClosed) throw new ChannelError(origin, `cannot send ${msg.kind}: the receiving end is closed`);
      if (msg.kind === 'batch') credit.spend();
      down.post(encode(msg, origin));
    },
    credits: () => credit.credits,
    inFlight: () => credit.inFlight,
    onCredit(fn) {
      creditFn = fn;
    },
    onBatchSize(fn) {
      batchSizeFn = fn;
    },
    close() {
      outputClosed = true;
    },
  };
  const input: InputChannel = {
    onMessage(fn) {
      down.listen((wire) => {
        if (!inputClosed) fn(decode(wire));
      });
    },
    onClose() {},
    release: () => returner.release(),
    announceBatchSize(records) {
      if (!inputClosed) up.post({ batchSize: records });
    },
    close() {
      inputClosed = true;
    },
  };
  return { output, input };
}
