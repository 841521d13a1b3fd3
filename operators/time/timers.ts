/**
 * The timers of one keyed operator subtask, kept in its state backend (so they are in every
 * checkpoint and move with their key groups): event-time timers fire as the watermark passes
 * them, processing-time timers when the injected clock reaches them. A timer fires with its
 * key set as current and its time as the event time of what the operator emits then.
 */
import type { KeyedStateBackend, StateKey, TimerState } from '../../backends/state.js';
import type { ElementTime, OperatorTime } from '../api.js';

/** Which clock a timer follows. */
export type TimeDomain = 'event' | 'processing';

/** Timers fired per round: firing may set new ones, which a later round takes. */
const ROUND = 1024;

/** Sets, deletes and fires the timers of one keyed operator subtask. */
export class KeyedTimers {
  private readonly event: TimerState;
  private readonly processing: TimerState;
  private scheduled: { time: number; handle: { cancel(): void } } | null = null;

  constructor(
    private readonly backend: KeyedStateBackend,
    private readonly time: OperatorTime,
    private readonly element: ElementTime,
    /** Called for each timer that fires, with its key already current. */
    private readonly fire: (time: number, key: StateKey, domain: TimeDomain) => void,
  ) {
    this.event = backend.timerState('timers:event');
    this.processing = backend.timerState('timers:processing');
  }

  /** Sets an event-time timer for the current key. */
  registerEventTime(time: number): void {
    this.event.register(checkTime(time));
  }

  /** Deletes an event-time timer of the current key. */
  deleteEventTime(time: number): void {
    this.event.delete(checkTime(time));
  }

  /** Sets a processing-time timer for the current key. */
  registerProcessingTime(time: number): void {
    this.processing.register(checkTime(time));
    if (this.scheduled === null || time < this.scheduled.time) this.schedule(time);
  }

  /** Deletes a processing-time timer of the current key (a callback already scheduled for it finds nothing). */
  deleteProcessingTime(time: number): void {
    this.processing.delete(checkTime(time));
  }

  /** Starts the clock on the processing-time timers held (restored ones included). */
  start(): void {
    const earliest = this.processing.earliest();
    if (earliest < Infinity) this.schedule(earliest);
  }

  /** Fires every event-time timer at or before `watermark`. */
  advanceWatermark(watermark: number): void {
    this.fireDue(this.event, watermark, 'event');
  }

  /** Cancels the scheduled processing-time callback. */
  stop(): void {
    this.scheduled?.handle.cancel();
    this.scheduled = null;
  }

  private fireDue(timers: TimerState, upTo: number, domain: TimeDomain): void {
    for (let due = timers.takeDue(upTo, ROUND); due.length > 0; due = timers.takeDue(upTo, ROUND)) {
      for (const t of due) {
        this.backend.setCurrentKey(t.key, t.keyGroup);
        this.element.timestamp = domain === 'event' ? t.time : NaN;
        this.fire(t.time, t.key, domain);
      }
    }
  }

  private schedule(time: number): void {
    this.scheduled?.handle.cancel();
    this.scheduled = { time, handle: this.time.schedule(time, () => this.onProcessingTime()) };
  }

  private onProcessingTime(): void {
    this.scheduled = null;
    this.fireDue(this.processing, this.time.now(), 'processing');
    const next = this.processing.earliest();
    if (next < Infinity && this.scheduled === null) this.schedule(next);
  }
}

function checkTime(time: number): number {
  if (typeof time !== 'number' || Number.isNaN(time)) throw new Error(`a timer needs a time in milliseconds, got ${String(time)}`);
  return time;
}
