/**
 * The job's HTTP server (`--rest-port`): Flink's REST routes for the job and its checkpoints,
 * savepoints and cancellation on request, Prometheus metrics at `/metrics`, and the dashboard
 * page. It serves one job, on 127.0.0.1 unless told otherwise, and reads everything from the
 * job's monitor.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, errorMessage } from '../base/errors.js';
import type { JobControl } from '../runtime/job/job-control.js';
import type { JobMonitor } from '../runtime/job/monitor.js';
import { checkpointConfig, checkpointDetails, checkpointStats, checkpointSubtasks, jobDetails, jobsOverview } from './rest-shapes.js';
import { metricsRegistry } from './prometheus.js';
import { serveDashboard } from './dashboard.js';
import { SavepointRequests } from './savepoint-requests.js';

/** What the server serves and how it reaches the job. */
export interface RestServerOptions {
  monitor: JobMonitor;
  /** Takes savepoints on request; without it, savepoint routes answer 409. */
  control?: JobControl;
  /** Cancels the job (`PATCH /jobs/:jid?mode=cancel`). */
  cancel?(): void;
  /** Where a savepoint goes when a request names no target directory. */
  savepointDir?: string;
  port: number;
  /** Default 127.0.0.1: the job's controls are not for the network unless asked. */
  address?: string;
}

/** A listening server. */
export interface RestServer {
  /** `http://address:port`, with the port actually bound (port 0 picks a free one). */
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 65_536) throw new HttpError(413, 'request body over 64 KiB');
  }
  if (text.trim() === '') return {};
  try {
    const body: unknown = JSON.parse(text);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    return body as Record<string, unknown>;
  } catch (err) {
    throw new HttpError(400, `request body is not a JSON object: ${errorMessage(err)}`);
  }
}

/** Starts the server; resolves once it listens. */
export async function startRestServer(o: RestServerOptions): Promise<RestServer> {
  const m = o.monitor;
  const registry = metricsRegistry(m);
  const savepoints = new SavepointRequests(o.control);
  const found = <T>(value: T | null, what: string): T => {
    if (value === null) throw new HttpError(404, `${what} not found`);
    return value;
  };
  const targetOf = (body: Record<string, unknown>, key: string): string => {
    const dir = body[key] ?? o.savepointDir;
    if (typeof dir !== 'string' || dir === '') throw new HttpError(400, `no savepoint directory: give "${key}" or start the job with --savepoint-dir`);
    return dir;
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    if (method === 'GET' && serveDashboard(url.pathname, res)) return;
    if (method === 'GET' && url.pathname === '/metrics') return send(res, 200, await registry.metrics(), registry.contentType);
    if (method === 'GET' && url.pathname === '/config') return send(res, 200, { 'refresh-interval': 1000, 'timezone-name': 'UTC', 'flink-version': 'snapflow', features: { 'web-submit': false, 'web-cancel': o.cancel !== undefined } });
    if (method === 'GET' && url.pathname === '/jobs/overview') return send(res, 200, jobsOverview(m));
    if (method === 'GET' && url.pathname === '/jobs') return send(res, 200, { jobs: [{ id: m.jobId, status: m.state }] });
    if (parts[0] !== 'jobs' || parts.length < 2) throw new HttpError(404, `no such route: ${method} ${url.pathname}`);
    if (parts[1] !== m.jobId) throw new HttpError(404, `job ${parts[1]} not found`);
    const rest = parts.slice(2).join('/');
    if (method === 'GET') {
      if (rest === '') return send(res, 200, jobDetails(m));
      if (rest === 'checkpoints') return send(res, 200, checkpointStats(m));
      if (rest === 'checkpoints/config') return send(res, 200, found(checkpointConfig(m), 'checkpointing of this job'));
      if (rest === 'latency') return send(res, 200, m.latency.summary());
      if (rest === 'throughput') return send(res, 200, { intervalMs: m.throughput.intervalMs, points: m.throughput.points() });
      if (rest === 'tasks') return send(res, 200, { tasks: m.tasks.rows() });
      if (parts[2] === 'checkpoints' && parts[3] === 'details' && parts.length === 5) return send(res, 200, found(checkpointDetails(m, Number(parts[4])), `checkpoint ${parts[4]}`));
      if (parts[2] === 'checkpoints' && parts[3] === 'details' && parts[5] === 'subtasks' && parts.length === 7) {
        return send(res, 200, found(checkpointSubtasks(m, Number(parts[4]), parts[6]), `checkpoint ${parts[4]} of vertex ${parts[6]}`));
      }
      if (parts[2] === 'savepoints' && parts.length === 4) return send(res, 200, found(savepoints.status(parts[3]), `savepoint request ${parts[3]}`));
    }
    if (method === 'POST' && rest === 'savepoints') {
      const body = await readJson(req);
      return send(res, 202, { 'request-id': savepoints.trigger(targetOf(body, 'target-directory'), body['cancel-job'] === true) });
    }
    if (method === 'POST' && rest === 'stop') {
      const body = await readJson(req);
      return send(res, 202, { 'request-id': savepoints.trigger(targetOf(body, 'targetDirectory'), true) });
    }
    if (method === 'PATCH' && rest === '') {
      const mode = url.searchParams.get('mode') ?? 'cancel';
      if (mode !== 'cancel') throw new HttpError(400, `mode "${mode}" is not supported; use mode=cancel, or POST /jobs/${m.jobId}/stop`);
      if (o.cancel === undefined) throw new HttpError(409, 'this job cannot be cancelled from here');
      o.cancel();
      return send(res, 202, {});
    }
    throw new HttpError(404, `no such route: ${method} ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof ConfigError ? 400 : 500;
      if (!res.headersSent) send(res, status, { errors: [errorMessage(err)] });
      else res.destroy();
    });
  });
  const address = o.address ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ConfigError('rest-port', `cannot listen on ${address}:${o.port}: ${errorMessage(err)}`)));
    server.listen(o.port, address, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${bound}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
