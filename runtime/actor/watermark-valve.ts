/**
 * The watermark of an actor's input: the minimum over its input channels, leaving out idle
 * ones, as Flink's status watermark valve computes it. Pure bookkeeping: the actor reports
 * every watermark, status change and end of input, and forwards what the valve returns. The
 * combined watermark never goes back; a channel that ended counts as +∞, so once every channel
 * has ended the watermark is +∞ and every event-time timer fires.
 */

/** What the actor must forward after an event. */
export interface ValveOutput {
  /** The combined watermark advanced to this time. */
  watermark?: number;
  /** The input as a whole went idle (every open channel idle) or became active again. */
  idle?: boolean;
}

interface Channel {
  watermark: number;
  idle: boolean;
  ended: boolean;
}

const NOTHING: ValveOutput = Object.freeze({});

/** Combines the watermarks of one actor's input channels. */
export class WatermarkValve {
  private readonly channels: Channel[];
  private combined = -Infinity;
  private idle = false;

  constructor(channels: number) {
    if (!Number.isInteger(channels) || channels < 1) throw new Error(`a watermark valve needs at least one input channel, got ${channels}`);
    this.channels = Array.from({ length: channels }, () => ({ watermark: -Infinity, idle: false, ended: false }));
  }

  /** The combined watermark so far (−∞ before the first). */
  get watermark(): number {
    return this.combined;
  }

  /** Whether the input as a whole is idle. */
  get isIdle(): boolean {
    return this.idle;
  }

  /** Channel `c` delivered watermark `time`; an earlier one than it had is ignored. */
  onWatermark(c: number, time: number): ValveOutput {
    const ch = this.channel(c, `watermark ${time}`);
    if (Number.isNaN(time)) throw new Error(`watermark on channel ${c}: NaN is not a time`);
    if (time <= ch.watermark) return NOTHING;
    ch.watermark = time;
    return this.recompute();
  }

  /** Channel `c` went idle or became active again. */
  onStatus(c: number, idle: boolean): ValveOutput {
    const ch = this.channel(c, `status ${idle ? 'idle' : 'active'}`);
    if (ch.idle === idle) return NOTHING;
    ch.idle = idle;
    return this.recompute();
  }

  /** Channel `c` ended: it holds nothing back any more. */
  onEnd(c: number): ValveOutput {
    const ch = this.channel(c, 'end of input');
    ch.ended = true;
    ch.idle = false;
    ch.watermark = Infinity;
    return this.recompute();
  }

  private channel(c: number, what: string): Channel {
    const ch = this.channels[c];
    if (ch === undefined) throw new Error(`${what} on channel ${c}: no such input channel (the actor has channels 0..${this.channels.length - 1})`);
    if (ch.ended) throw new Error(`${what} on channel ${c}: the channel has already ended`);
    return ch;
  }

  private recompute(): ValveOutput {
    let min = Infinity;
    let active = 0;
    for (const ch of this.channels) {
      if (ch.idle) continue;
      active++;
      if (ch.watermark < min) min = ch.watermark;
    }
    const out: ValveOutput = {};
    const idle = active === 0;
    if (idle !== this.idle) {
      this.idle = idle;
      out.idle = idle;
    }
    // Idle channels hold nothing back; with every channel idle the watermark waits.
    if (!idle && min > this.combined) {
      this.combined = min;
      out.watermark = min;
    }
    return out;
  }
}
