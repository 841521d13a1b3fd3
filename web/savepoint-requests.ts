/**
 * Savepoints asked for over REST: each request gets an id at once and runs in the background,
 * and its status is asked for by that id, as Flink's asynchronous savepoint operations work.
 */
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../base/errors.js';
import type { JobControl } from '../runtime/job/job-control.js';

type Outcome = { state: 'IN_PROGRESS' } | { state: 'COMPLETED'; location: string } | { state: 'FAILED'; cause: string };

/** The savepoint requests of one job. */
export class SavepointRequests {
  private readonly requests = new Map<string, Outcome>();

  constructor(private readonly control: JobControl | undefined) {}

  /** Starts a savepoint into a new folder inside `dir` (`stop`: the job ends with it); returns the request id. */
  trigger(dir: string, stop: boolean): string {
    const id = randomUUID().replace(/-/g, '');
    this.requests.set(id, { state: 'IN_PROGRESS' });
    const fail = (cause: string) => this.requests.set(id, { state: 'FAILED', cause });
    if (this.control === undefined) fail('this job takes no savepoints from here');
    else {
      const taking = stop ? this.control.stopWithSavepoint(dir) : this.control.savepoint(dir);
      taking.then((location) => this.requests.set(id, { state: 'COMPLETED', location }), (err: unknown) => fail(errorMessage(err)));
    }
    return id;
  }

  /** The request's status in Flink's shape; null for an unknown id. */
  status(id: string): Record<string, unknown> | null {
    const r = this.requests.get(id);
    if (r === undefined) return null;
    if (r.state === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' }, operation: null };
    const operation = r.state === 'COMPLETED' ? { location: r.location } : { 'failure-cause': { class: 'SavepointError', 'stack-trace': r.cause } };
    return { status: { id: 'COMPLETED' }, operation };
  }
}
