/**
 * Every error snapflow raises. Each names where it happened (operator, subtask, file,
 * line or option) and whether a restart of the job could help (`retriable`).
 */

/** Where an error happened in the running job. */
export interface ErrorOrigin {
  operator?: string;
  /** Zero-based subtask index. */
  subtask?: number;
  parallelism?: number;
}

/** Plain-object form of an error, for crossing a thread boundary. */
export interface SerializedError {
  name: string;
  message: string;
  retriable: boolean;
  origin: ErrorOrigin;
  detail?: Record<string, unknown>;
  stack?: string;
}

/** The message of anything thrown: an Error's message, else its string form. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function where(origin: ErrorOrigin): string {
  if (origin.operator === undefined) return '';
  const sub = origin.subtask === undefined ? '' : ` subtask ${origin.subtask + 1}/${origin.parallelism ?? '?'}`;
  return `operator "${origin.operator}"${sub}: `;
}

/** Base of all snapflow errors. */
export class SnapflowError extends Error {
  override name = 'SnapflowError';
  readonly origin: ErrorOrigin;
  readonly retriable: boolean;
  readonly detail: Record<string, unknown>;

  constructor(message: string, opts: { origin?: ErrorOrigin; retriable?: boolean; cause?: unknown; detail?: Record<string, unknown> } = {}) {
    super(where(opts.origin ?? {}) + message, { cause: opts.cause });
    this.origin = opts.origin ?? {};
    this.retriable = opts.retriable ?? false;
    this.detail = opts.detail ?? {};
  }
}

/** A job or CLI option has a value snapflow cannot use; a restart cannot help. */
export class ConfigError extends SnapflowError {
  override name = 'ConfigError';
  constructor(option: string, message: string, origin?: ErrorOrigin) {
    super(`option ${option}: ${message}`, { origin, detail: { option } });
  }
}

/** Input data that cannot be read (a malformed CSV row, a missing file). */
export class InputError extends SnapflowError {
  override name = 'InputError';
  constructor(file: string, line: number | undefined, reason: string, origin?: ErrorOrigin) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`, { origin, detail: { file, line, reason } });
  }
}

function describeRecord(record: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(record);
  } catch {
    text = String(record);
  }
  return text.length > 200 ? text.slice(0, 200) + '…' : text;
}

/** A user function threw while processing a record. */
export class UserFunctionError extends SnapflowError {
  override name = 'UserFunctionError';
  constructor(origin: ErrorOrigin, record: unknown, cause: unknown) {
    const reason = errorMessage(cause);
    super(`user function failed on record ${describeRecord(record)}: ${reason}`, {
      origin, retriable: true, cause, detail: { record: describeRecord(record) },
    });
  }
}

/** A worker thread hosting an actor exited or crashed. */
export class WorkerExitError extends SnapflowError {
  override name = 'WorkerExitError';
  constructor(origin: ErrorOrigin, cause: unknown) {
    const reason = errorMessage(cause);
    super(`worker thread ended unexpectedly: ${reason}`, { origin, retriable: true, cause });
  }
}

/** A record cannot be turned into bytes (a symbol, a cycle…); the same record fails again on a restart. */
export class RecordEncodingError extends SnapflowError {
  override name = 'RecordEncodingError';
  constructor(origin: ErrorOrigin, cause: unknown) {
    super(`a record cannot be sent to the next operator: ${errorMessage(cause)}`, { origin, cause });
  }
}

/** A message could not be sent or received on a channel. */
export class ChannelError extends SnapflowError {
  override name = 'ChannelError';
  constructor(origin: ErrorOrigin, message: string, cause?: unknown) {
    super(`channel failure: ${message}`, { origin, retriable: true, cause });
  }
}

/** The job was cancelled (Ctrl-C or a failure elsewhere); not an error of this actor. */
export class CancelledError extends SnapflowError {
  override name = 'CancelledError';
  constructor(reason: string, origin?: ErrorOrigin) {
    super(`cancelled: ${reason}`, { origin });
  }
}

/** A checkpoint failed or was aborted (timeout, a declining subtask, too many failures in a row). */
export class CheckpointError extends SnapflowError {
  override name = 'CheckpointError';
  constructor(checkpointId: number, reason: string, origin?: ErrorOrigin) {
    super(`checkpoint ${checkpointId}: ${reason}`, { origin, retriable: true, detail: { checkpointId } });
  }
}

/** A checkpoint file is missing, has the wrong size or checksum, or cannot be parsed. */
export class CorruptCheckpointError extends SnapflowError {
  override name = 'CorruptCheckpointError';
  constructor(file: string, reason: string, origin?: ErrorOrigin) {
    super(`corrupt checkpoint file ${file}: ${reason}`, { origin, detail: { file } });
  }
}

/** A failure injected on purpose (`--inject-failure`, `snapflow chaos`); a restart is what it tests. */
export class InjectedFailure extends SnapflowError {
  override name = 'InjectedFailure';
  constructor(spec: string, origin?: ErrorOrigin) {
    super(`injected failure ${spec}`, { origin, retriable: true, detail: { spec } });
  }
}

/** A job exhausted its restart strategy; the cause is the last failure. */
export class RestartsExhaustedError extends SnapflowError {
  override name = 'RestartsExhaustedError';
  constructor(reason: string, cause: SnapflowError) {
    super(`the job failed and is not restarted (${reason}): ${cause.message}`, { origin: cause.origin, retriable: false, cause });
  }
}

/** Wraps anything thrown inside an actor so that it names the actor. */
export function asSnapflowError(err: unknown, origin: ErrorOrigin): SnapflowError {
  if (err instanceof SnapflowError) return err;
  const message = errorMessage(err);
  return new SnapflowError(message, { origin, retriable: true, cause: err });
}

/** Turns an error into a plain object that survives structured clone. */
export function serializeError(err: unknown, origin: ErrorOrigin): SerializedError {
  const e = asSnapflowError(err, origin);
  return { name: e.name, message: e.message, retriable: e.retriable, origin: e.origin, detail: e.detail, stack: e.stack };
}

const ERROR_CLASSES: Record<string, { prototype: SnapflowError }> = {
  ConfigError, InputError, UserFunctionError, WorkerExitError, ChannelError, CancelledError, RecordEncodingError,
  CheckpointError, CorruptCheckpointError, InjectedFailure,
};

/** Rebuilds an error sent from another thread as its own class; the message is kept as written there. */
export function deserializeError(s: SerializedError): SnapflowError {
  const e = new SnapflowError('', { origin: s.origin, retriable: s.retriable, detail: s.detail });
  const cls = ERROR_CLASSES[s.name];
  if (cls) Object.setPrototypeOf(e, cls.prototype);
  e.message = s.message;
  e.name = s.name;
  if (s.stack) e.stack = s.stack;
  return e;
}
