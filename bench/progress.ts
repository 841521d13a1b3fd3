/**
 * The one progress display of the long commands (`gen`, the bench suite, the experiment,
 * `chaos`): a bar with elapsed time and an ETA on a terminal, with log lines printed above it;
 * plain lines when stderr is not a terminal, so that logs and CI output stay readable.
 */
import cliProgress from 'cli-progress';

/** A running progress display. */
export interface Progress {
  /** `done` of the total units are finished; `detail` says what is under way. */
  update(done: number, detail?: string): void;
  /** A line of its own (above the bar on a terminal). */
  log(line: string): void;
  /** The work is over: the bar is completed and left on screen. */
  stop(): void;
}

/** What is being counted. */
export interface ProgressOptions {
  label: string;
  total: number;
  /** What a unit is, e.g. `rows`, `steps`, `runs`. */
  unit: string;
  stream?: NodeJS.WriteStream;
  /** Without a terminal, a line at most every this share of the total (default: every update up to 50 units, else every 10%). */
  plainEvery?: number;
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Starts a progress display on `stream` (default stderr). */
export function startProgress(o: ProgressOptions): Progress {
  const stream = o.stream ?? process.stderr;
  const total = Math.max(1, o.total);
  if (stream.isTTY) {
    const bars = new cliProgress.MultiBar({
      stream, hideCursor: true, clearOnComplete: false, etaBuffer: 20, fps: 5,
      format: `${o.label} [{bar}] {percentage}% {value}/{total} ${o.unit} | {duration_formatted} | ETA {eta_formatted} | {detail}`,
    }, cliProgress.Presets.shades_classic);
    const bar = bars.create(total, 0, { detail: '' });
    return {
      update: (done, detail) => bar.update(Math.min(done, total), detail === undefined ? undefined : { detail }),
      log: (line) => bars.log(`${line}\n`),
      stop: () => {
        bar.update(total);
        bars.stop();
      },
    };
  }
  const started = Date.now();
  const every = o.plainEvery ?? (total <= 50 ? 0 : 0.1);
  let printedAt = -Infinity;
  return {
    update(done, detail) {
      const share = Math.min(1, done / total);
      if (share - printedAt < every && done < total) return;
      printedAt = share;
      const elapsed = Date.now() - started;
      const eta = done > 0 ? seconds((elapsed / done) * (total - done)) : '?';
      stream.write(`${o.label}: ${done}/${o.total} ${o.unit} (${Math.round(share * 100)}%), ${seconds(elapsed)} elapsed, ETA ${eta}${detail ? `: ${detail}` : ''}\n`);
    },
    log: (line) => void stream.write(`${line}\n`),
    stop: () => void stream.write(`${o.label}: done, ${o.total} ${o.unit} in ${seconds(Date.now() - started)}\n`),
  };
}
