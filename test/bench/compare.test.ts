/** bench compare on two saved results folders: changes, verdicts against the noise, the page. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareResults, judge, type FigureChange } from '../../bench/compare.js';
import { writeResults, type SuiteResults } from '../../bench/report.js';
import type { ThroughputReport } from '../../bench/throughput.js';
import { tempDir } from '../support/files.js';

const CLI = fileURLToPath(new URL('../../bin/snapflow.js', import.meta.url));

function results(keyed: number[], stateless: number[], latencyP99: number): SuiteResults {
  const row = (pipeline: string, parallelism: number, runs: number[]) => ({
    pipeline, parallelism, records: 1000, recordsPerSec: [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)], peakRssMiB: 100,
    latencyMs: { p50: 1, p99: latencyP99 }, runs, chaining: true, separateSink: false, backpressuredMs: 0,
  });
  const report = { results: [row('keyed', 2, keyed), row('stateless', 1, stateless)] } as unknown as ThroughputReport;
  return {
    meta: { startedAt: '2026-12-01T00:00:00Z', sweep: 'custom' }, checkpoint: [], recovery: [], windows: [],
    throughput: [{ command: 'snapflow bench throughput --json', options: { stateBackend: 'lmdb' }, report }],
  };
}

t.test('runs whose ranges do not overlap are beyond the noise; overlapping ones and small single-run moves are not', async (t) => {
  const changes = compareResults(results([1000, 1100, 1050], [5000, 5200, 4900], 40), results([2000, 2100, 1900], [5100, 4800, 5300], 10));
  const find = (pipeline: string, figure: string) => changes.find((c) => c.config.includes(`pipeline=${pipeline}`) && c.figure === figure) as FigureChange;
  t.match(find('keyed', 'recordsPerSec'), { old: 1050, new: 2000, ratio: 1.905, verdict: 'better' }, 'twice the speed, runs apart');
  t.match(find('keyed', 'recordsPerSec').basis, /runs 1000–1100 vs 1900–2100/);
  t.match(find('stateless', 'recordsPerSec'), { verdict: 'within the noise' }, 'overlapping runs');
  t.match(find('keyed', 'latencyP99Ms'), { old: 40, new: 10, verdict: 'better' }, 'lower latency is better; one value a side: beyond ±30%');
  t.match(find('keyed', 'peakRssMiB'), { ratio: 1, verdict: 'within the noise' });
  t.same(judge(100, 125, [], [], 'higher').verdict, 'within the noise', 'a 25% move of single runs is within this machine\'s noise');
  t.same(judge(100, 60, [], [], 'higher').verdict, 'worse');
  t.same(judge(100, 60, [90, 100, 110], [55, 60, 65], 'lower').verdict, 'better');
});

t.test('a figure measured on one side only is new or gone', async (t) => {
  const older = results([1000], [5000], 5);
  const newer = results([1000], [5000], 5);
  newer.throughput[0].report.results.pop();
  const gone = compareResults(older, newer).filter((c) => c.verdict === 'gone');
  t.ok(gone.length > 0 && gone.every((c) => c.config.includes('pipeline=stateless') && c.new === null));
});

t.test('snapflow bench compare prints the changes and draws them', async (t) => {
  const dir = await tempDir(t, 'compare');
  await writeResults(join(dir, 'old'), results([1000, 1100, 1050], [5000, 5200, 4900], 40));
  await writeResults(join(dir, 'new'), results([2000, 2100, 1900], [5100, 4800, 5300], 10));
  const r = spawnSync(process.execPath, [CLI, 'bench', 'compare', join(dir, 'old'), join(dir, 'new')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /throughput\s+pipeline=keyed stateBackend=lmdb parallelism=2 records=1000 chaining=true separateSink=false\s+recordsPerSec\s+1050\s+2000\s+1\.905×\s+better/);
  t.match(r.stdout, /within the noise/);
  const page = join(dir, 'new', 'compare.html');
  t.ok(existsSync(page), 'compare.html in the new folder');
  t.match(readFileSync(page, 'utf8'), /<canvas id="changes">/);
  const json = spawnSync(process.execPath, [CLI, 'bench', 'compare', join(dir, 'old'), join(dir, 'new'), '--json', '--out', join(dir, 'c.html')], { encoding: 'utf8' });
  t.equal(JSON.parse(json.stdout).changes.length, 6, 'three figures of two configurations');
  t.ok(existsSync(join(dir, 'c.html')));
});
