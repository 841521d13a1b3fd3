/** The suite's results folder: raw JSON, CSV tables and a self-contained HTML report. */
import { backpressureTable } from './report-backpressure.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkpointTable, describeCrossover, findCrossovers, recoveryTable, throughputTable, timelineTable, toCsv, type SuiteResults } from './report-data.js';
import { renderReport } from './report-html.js';
import { windowTable } from './report-windows.js';
import { nexmarkTable } from './report-nexmark.js';
import { costCsvTable } from './report-cost.js';
import { InputError, errorMessage } from '../base/errors.js';

export type { BenchRun, SuiteResults } from './report-data.js';

/** Files written into a results folder, relative to it. */
export const RESULT_FILES = {
  index: 'index.json',
  throughput: 'throughput.json',
  checkpoint: 'checkpoint.json',
  recovery: 'recovery.json',
  windows: 'windows.json',
  nexmark: 'nexmark.json',
  cost: 'cost.json',
  backpressure: 'backpressure.json',
  throughputCsv: 'throughput.csv',
  checkpointCsv: 'checkpoint.csv',
  timelineCsv: 'checkpoint-timeline.csv',
  recoveryCsv: 'recovery.csv',
  windowsCsv: 'windows.csv',
  nexmarkCsv: 'nexmark.csv',
  costCsv: 'cost.csv',
  backpressureCsv: 'backpressure.csv',
  report: 'report.html',
} as const;

/** Name, version and licence of the charting library inlined into the report. */
export interface ChartLibrary {
  name: string;
  version: string;
  license: string;
  source: string;
}

let chartLibrary: Promise<ChartLibrary> | undefined;

/** Chart.js's self-contained UMD build from node_modules, so the report needs no network; read once per process (the suite rewrites the report after every step). */
export function loadChartLibrary(): Promise<ChartLibrary> {
  chartLibrary ??= readChartLibrary();
  return chartLibrary;
}

async function readChartLibrary(): Promise<ChartLibrary> {
  const require = createRequire(import.meta.url);
  // The UMD build is not in the package's exports map; locate it next to the resolvable CJS entry.
  const dist = dirname(require.resolve('chart.js'));
  const pkg = JSON.parse(await readFile(join(dist, '..', 'package.json'), 'utf8')) as { name: string; version: string; license: string };
  return { name: pkg.name, version: pkg.version, license: pkg.license, source: await readFile(join(dist, 'chart.umd.min.js'), 'utf8') };
}

const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';

/** Writes raw JSON, CSV and report.html for the results into dir (created if missing); returns the files' paths. */
export async function writeResults(dir: string, results: SuiteResults): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const lib = await loadChartLibrary();
  const crossovers = findCrossovers(results.checkpoint);
  const index = {
    meta: results.meta,
    files: RESULT_FILES,
    chartLibrary: { name: lib.name, version: lib.version, license: lib.license },
    crossover: crossovers.map((c) => ({ ...c, text: describeCrossover(c) })),
  };
  const files: [string, string][] = [
    [RESULT_FILES.index, json(index)],
    [RESULT_FILES.throughput, json(results.throughput)],
    [RESULT_FILES.checkpoint, json(results.checkpoint)],
    [RESULT_FILES.recovery, json(results.recovery)],
    [RESULT_FILES.windows, json(results.windows)],
    [RESULT_FILES.nexmark, json(results.nexmark ?? [])],
    [RESULT_FILES.cost, json(results.cost ?? [])],
    [RESULT_FILES.backpressure, json(results.backpressure ?? [])],
    [RESULT_FILES.throughputCsv, toCsv(throughputTable(results.throughput))],
    [RESULT_FILES.checkpointCsv, toCsv(checkpointTable(results.checkpoint))],
    [RESULT_FILES.timelineCsv, toCsv(timelineTable(results.checkpoint))],
    [RESULT_FILES.recoveryCsv, toCsv(recoveryTable(results.recovery))],
    [RESULT_FILES.windowsCsv, toCsv(windowTable(results.windows))],
    [RESULT_FILES.nexmarkCsv, toCsv(nexmarkTable(results.nexmark ?? []))],
    [RESULT_FILES.costCsv, toCsv(costCsvTable(results.cost ?? []))],
    [RESULT_FILES.backpressureCsv, toCsv(backpressureTable(results.backpressure ?? []))],
    [RESULT_FILES.report, renderReport(results, lib.source)],
  ];
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}

/** Reads a results folder written by writeResults back into SuiteResults. */
export async function readResults(dir: string): Promise<SuiteResults> {
  const read = async <T>(name: string, fallback: T): Promise<T> => {
    const path = join(dir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
      throw new InputError(path, undefined, errorMessage(err));
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new InputError(path, undefined, `not valid JSON: ${errorMessage(err)}`);
    }
  };
  const index = await read<{ meta?: SuiteResults['meta'] } | undefined>(RESULT_FILES.index, undefined);
  if (!index) throw new InputError(join(dir, RESULT_FILES.index), undefined, 'not found: not a results folder of snapflow bench');
  return {
    meta: index.meta ?? { startedAt: 'unknown', sweep: 'custom' },
    throughput: await read(RESULT_FILES.throughput, []),
    checkpoint: await read(RESULT_FILES.checkpoint, []),
    recovery: await read(RESULT_FILES.recovery, []),
    // Folders written before the window benchmark existed have none.
    windows: await read(RESULT_FILES.windows, []),
    nexmark: await read(RESULT_FILES.nexmark, []),
    cost: await read(RESULT_FILES.cost, []),
    backpressure: await read(RESULT_FILES.backpressure, []),
  };
}

/** Regenerates CSV and report.html of a results folder from its JSON files. */
export async function regenerateReport(dir: string): Promise<string[]> {
  return writeResults(dir, await readResults(dir));
}
