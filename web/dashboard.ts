/**
 * The dashboard's files: the page and its script from `web/dashboard/`, and chart.js from its
 * package, served as they are. The page reads the job through the REST routes.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';

/** The page's own files sit beside the sources, not in the compiled output. */
const PAGE_DIR = fileURLToPath(new URL('../../web/dashboard/', import.meta.url));
const CHART_JS = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

const FILES: Record<string, { path: string; type: string }> = {
  '/': { path: join(PAGE_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { path: join(PAGE_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard/style.css': { path: join(PAGE_DIR, 'style.css'), type: 'text/css; charset=utf-8' },
  '/dashboard/chart.js': { path: CHART_JS, type: 'text/javascript; charset=utf-8' },
};

/** Answers a request for one of the dashboard's files; false when the path is not one. */
export function serveDashboard(pathname: string, res: ServerResponse): boolean {
  const file = FILES[pathname];
  if (file === undefined) return false;
  res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' });
  res.end(readFileSync(file.path));
  return true;
}
