/**
 * The report's figures as tables in the page, beside the charts: every CSV table of the results
 * folder, with the per-run values of a figure shown as their spread (min–max over n runs), and
 * the record of where the benchmarks ran.
 */
import { backpressureTable } from './report-backpressure.js';
import { checkpointTable, recoveryTable, throughputTable, type SuiteResults, type Table } from './report-data.js';
import { windowTable } from './report-windows.js';
import { nexmarkTable } from './report-nexmark.js';
import { costCsvTable } from './report-cost.js';
import { escapeHtml } from './report-charts.js';
import type { EnvironmentRecord } from './environment.js';

/** One named table of a results folder. */
export interface NamedTable {
  id: 'throughput' | 'checkpoint' | 'recovery' | 'windows' | 'nexmark' | 'cost' | 'backpressure';
  title: string;
  table: Table;
}

/** Every part's table, in the report's order; parts without results are left out. */
export function resultTables(res: SuiteResults): NamedTable[] {
  const all: NamedTable[] = [
    { id: 'throughput', title: 'Throughput', table: throughputTable(res.throughput) },
    { id: 'checkpoint', title: 'Checkpoints', table: checkpointTable(res.checkpoint) },
    { id: 'recovery', title: 'Recovery', table: recoveryTable(res.recovery) },
    { id: 'windows', title: 'Window state', table: windowTable(res.windows) },
    { id: 'nexmark', title: 'Nexmark', table: nexmarkTable(res.nexmark ?? []) },
    { id: 'cost', title: 'COST', table: costCsvTable(res.cost ?? []) },
    { id: 'backpressure', title: 'Checkpoints under backpressure', table: backpressureTable(res.backpressure ?? []) },
  ];
  return all.filter((t) => t.table.rows.length > 0);
}

/** The per-run values of a `runs…` cell ("a b c"), as numbers. */
export function runValues(cell: unknown): number[] {
  return String(cell ?? '').split(/\s+/).filter(Boolean).map(Number).filter(Number.isFinite);
}

/** "min–max (n runs)", or the one value. */
export function spreadOf(values: number[]): string {
  if (values.length === 0) return '';
  if (values.length === 1) return `${values[0]} (1 run)`;
  return `${Math.min(...values)}–${Math.max(...values)} (${values.length} runs)`;
}

const isRuns = (column: string) => /^runs[A-Z]/.test(column);

/** The tables as HTML, a `runs…` column shown as its spread. */
export function renderTables(tables: NamedTable[]): string {
  if (tables.length === 0) return '<p>No figures.</p>';
  return tables.map(({ id, title, table }) => {
    const head = table.header.map((h) => `<th>${escapeHtml(isRuns(h) ? `${h} (spread)` : h)}</th>`).join('');
    const body = table.rows.map((row) => `<tr>${row.map((v, i) => `<td>${escapeHtml(isRuns(table.header[i]) ? spreadOf(runValues(v)) : String(v ?? ''))}</td>`).join('')}</tr>`).join('\n');
    return `<details id="table-${id}" open><summary>${escapeHtml(title)} (${id}.csv)</summary><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></details>`;
  }).join('\n');
}

/** The environment record as a two-column table. */
export function renderEnvironment(env: EnvironmentRecord | undefined): string {
  if (env === undefined) return '<p>Not recorded (a results folder written before environments were).</p>';
  const rows: [string, string][] = [
    ['CPU', env.cpuModel], ['cores', String(env.cores)], ['memory', `${env.memoryGiB} GiB`], ['system', env.os], ['Node', env.node],
    ['lmdb', env.lmdb], ['file system (results)', env.fileSystem], ['file system (temporary folder)', env.tmpFileSystem], ['commit', env.commit],
  ];
  return `<table id="environment">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}
