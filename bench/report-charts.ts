/** The building blocks of the report's charts: Chart.js configs from plain points. */
import type { BenchRun } from './report-data.js';

/** A chart of the report: a canvas id, its Chart.js config and what the caption says. */
export interface ChartSpec {
  id: string;
  title: string;
  caption: string;
  commands: string[];
  config: Record<string, unknown>;
}

/** Series colours, in order. */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** A point of a line. */
export type Point = { x: number; y: number };

/** A line dataset, its points in x order. */
export function line(label: string, data: Point[], i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { label, data: [...data].sort((a, b) => a.x - b.x), borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], tension: 0, ...extra };
}

/** A line chart with numeric (or logarithmic) axes. */
export function xy(x: { title: string; log?: boolean }, y: { title: string; log?: boolean }, datasets: Record<string, unknown>[]): Record<string, unknown> {
  const axis = (a: { title: string; log?: boolean }) => ({ type: a.log ? 'logarithmic' : 'linear', title: { display: true, text: a.title } });
  return { type: 'line', data: { datasets }, options: { animation: false, scales: { x: axis(x), y: axis(y) }, plugins: { legend: { position: 'bottom' } } } };
}

/** Groups items by a key, keeping first-seen order. */
export function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) m.set(key(t), [...(m.get(key(t)) ?? []), t]);
  return m;
}

/** The distinct commands behind some runs, for a chart's caption. */
export const commandsOf = (runs: BenchRun<unknown>[]): string[] => [...new Set(runs.map((r) => r.command))];


/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
