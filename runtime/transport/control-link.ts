/** The control link between the coordinator and one actor, over a port or in memory. */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { ControlFromActor, ControlToActor } from './protocol.js';
import { Mailbox } from './mailbox.js';

/** The actor's end of its control link. */
export interface ControlEndpoint {
  send(msg: ControlFromActor): void;
  onMessage(fn: (msg: ControlToActor) => void): void;
  /** Takes a message that has arrived but not been delivered yet, synchronously. */
  poll(): ControlToActor | undefined;
  close(): void;
}

/** The coordinator's end of an actor's control link. */
export interface CoordinatorEndpoint {
  send(msg: ControlToActor): void;
  onMessage(fn: (msg: ControlFromActor) => void): void;
  /** Called if the actor's end goes away (its thread died). */
  onClose(fn: () => void): void;
  close(): void;
}

/** Wraps a MessagePort as either end of a control link. */
export function portEndpoint<In, Out>(port: MessagePort) {
  return {
    send: (msg: Out) => port.postMessage(msg),
    onMessage: (fn: (msg: In) => void) => void port.on('message', fn),
    onClose: (fn: () => void) => void port.on('close', fn),
    poll: () => receiveMessageOnPort(port)?.message as In | undefined,
    close: () => port.close(),
  };
}

/** A connected pair of in-memory control ends; messages arrive on a later turn, in order. */
export function memoryControl(): { actor: ControlEndpoint; coordinator: CoordinatorEndpoint } {
  const toCoordinator = new Mailbox<ControlFromActor>();
  const toActor = new Mailbox<ControlToActor>();
  let closed = false;
  return {
    actor: {
      send: (msg) => toCoordinator.post(msg),
      onMessage: (fn) => toActor.listen(fn),
      poll: () => toActor.take(),
      close: () => {},
    },
    coordinator: {
      send: (msg) => toActor.post(msg),
      onMessage: (fn) => toCoordinator.listen((msg) => !closed && fn(msg)),
      onClose: () => {},
      close: () => void (closed = true),
    },
  };
}
