/** The dashboard in a real headless Chromium: it loads from a running job and shows its graph, charts and checkpoints. */
import t from 'tap';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serveRunningJob } from '../support/running-job.js';

/** Debian's package puts it here; `.ci/run` installs it. */
const CHROMIUM = process.env.SNAPFLOW_CHROMIUM ?? '/usr/bin/chromium';

t.test('the page loads from a running job and shows its checkpoints as they complete', async (t) => {
  t.ok(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install chromium, or set SNAPFLOW_CHROMIUM)`);
  const job = await serveRunningJob(t);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(job.server.url);
  await page.waitForFunction(() => document.querySelectorAll('#checkpoints tbody tr').length >= 2, undefined, { timeout: 60_000 });

  t.equal(await page.textContent('#job-name'), 'exactly-once');
  t.equal(await page.textContent('#job-state'), 'RUNNING');
  t.equal(await page.locator('#graph .vertex').count(), 2, 'a box per operator chain');
  t.equal(await page.locator('#graph .subtask').count(), 4, 'a cell per subtask');
  const fills = await page.locator('#graph .subtask').evaluateAll((cells) => cells.map((c) => c.getAttribute('fill')));
  t.ok(fills.every((f) => f !== null && /^(hsl|#4a4a4a)/.test(f)), `every subtask coloured by its figures: ${fills.join(', ')}`);

  const rows = await page.locator('#checkpoints tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const ids = rows.map((r) => Number(r[0]));
  const known = new Set(job.monitor.checkpoints.map((c) => c.summary.id));
  t.ok(ids.every((id) => known.has(id)), `the table holds the job's checkpoints: ${ids.join(', ')}`);
  t.ok(ids.every((id, i) => i === 0 || id < ids[i - 1]), 'newest first');
  t.equal(rows[0][1], 'COMPLETED');
  t.match(rows[0][3], /^\d+ ms$/, 'end to end in ms');

  const bars = await page.evaluate(() => {
    const chart = (window as any).Chart.getChart('chart-timeline');
    return chart.data.labels.length;
  });
  t.ok(bars >= 2, `the timeline has a bar per completed checkpoint (${bars})`);
  await page.waitForFunction(() => (window as any).Chart.getChart('chart-throughput').data.datasets[0].data.length >= 2, undefined, { timeout: 30_000 });
  const latencyPoints = await page.evaluate(() => (window as any).Chart.getChart('chart-latency').data.datasets[1].data.length);
  t.ok(latencyPoints >= 1, 'latency per interval is drawn');
  t.same(errors, [], 'no error on the page');
});
