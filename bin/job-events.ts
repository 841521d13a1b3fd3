/** How `snapflow run` shows a running job's events: a line each on stderr, JSON lines, or nothing. */
import { describeEvent, type JobEvent } from '../runtime/job/events.js';

/** The event sink of the run command: `json` prints one JSON object per line, `quiet` nothing, otherwise a line for a person. */
export function jobEventSink(o: { quiet: boolean; json: boolean }, write: (text: string) => void = (t) => process.stderr.write(t)): (e: JobEvent) => void {
  if (o.json) return (e) => write(JSON.stringify(e) + '\n');
  if (o.quiet) return () => {};
  return (e) => write(`snapflow: ${describeEvent(e)}\n`);
}
