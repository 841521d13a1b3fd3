// The dashboard of one running snapflow job: it polls the job's REST routes every second and
// draws the job graph coloured by busy and backpressured time, throughput and latency over
// time, and the checkpoint history with a timeline of each checkpoint's phases.
'use strict';

const POLL_MS = 1000;
const TABLE_ROWS = 30;
const TIMELINE_BARS = 100;
const view = { jid: null, details: new Map(), charts: {} };

async function get(path) {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

const ms = (v) => `${Math.round(v)} ms`;

function lineChart(id, datasets, yTitle) {
  return new Chart(document.getElementById(id), {
    type: 'line',
    data: { datasets: datasets.map((label) => ({ label, data: [], pointRadius: 0, borderWidth: 1.5 })) },
    options: {
      animation: false, parsing: false, responsive: true,
      scales: { x: { type: 'linear', title: { display: true, text: 'seconds since the job started' } }, y: { beginAtZero: true, title: { display: true, text: yTitle } } },
    },
  });
}

function setupCharts() {
  view.charts.throughput = lineChart('chart-throughput', ['records/s out of sources', 'records/s into sinks'], 'records/s');
  view.charts.latency = lineChart('chart-latency', ['p50', 'p99', 'p99.9'], 'ms');
  view.charts.timeline = new Chart(document.getElementById('chart-timeline'), {
    type: 'bar',
    data: { labels: [], datasets: ['start delay', 'alignment', 'sync', 'async'].map((label) => ({ label, data: [] })) },
    options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { x: { stacked: true, title: { display: true, text: 'checkpoint' } }, y: { stacked: true, title: { display: true, text: 'ms (slowest subtask of each phase)' } } } },
  });
}

/** Flink's colours: blue when idle, towards red as busy time grows, dark when backpressured. */
function colourOf(row) {
  if (!row) return '#cbd5e0';
  if (row.backPressuredTimeMsPerSecond > row.busyTimeMsPerSecond) return '#4a4a4a';
  const busy = Math.min(1, row.busyTimeMsPerSecond / 1000);
  return `hsl(${Math.round(210 * (1 - busy))}, 70%, ${Math.round(60 - 5 * busy)}%)`;
}

function drawGraph(job, tasks) {
  const svg = document.getElementById('graph');
  const nodes = job.plan.nodes;
  const depth = new Map();
  const depthOf = (id) => {
    if (depth.has(id)) return depth.get(id);
    const node = nodes.find((n) => n.id === id);
    const d = node.inputs.length === 0 ? 0 : 1 + Math.max(...node.inputs.map((i) => depthOf(i.id)));
    depth.set(id, d);
    return d;
  };
  nodes.forEach((n) => depthOf(n.id));
  const columns = [];
  for (const n of nodes) (columns[depth.get(n.id)] ??= []).push(n);
  const w = 190, h = 64, gapX = 70, gapY = 22;
  const pos = new Map();
  columns.forEach((col, c) => col.forEach((n, r) => pos.set(n.id, { x: 10 + c * (w + gapX), y: 10 + r * (h + gapY) })));
  const height = 20 + Math.max(...columns.map((col) => col.length)) * (h + gapY);
  svg.setAttribute('viewBox', `0 0 ${20 + columns.length * (w + gapX)} ${height}`);
  svg.style.height = `${Math.max(120, height)}px`;
  const parts = [];
  for (const n of nodes) {
    for (const i of n.inputs) {
      const a = pos.get(i.id), b = pos.get(n.id);
      parts.push(`<line x1="${a.x + w}" y1="${a.y + h / 2}" x2="${b.x}" y2="${b.y + h / 2}" stroke="#718096" stroke-width="1.5"/>`);
      parts.push(`<text x="${(a.x + w + b.x) / 2}" y="${(a.y + b.y + h) / 2 - 4}" text-anchor="middle" fill="#4a5568">${i.ship_strategy}</text>`);
    }
  }
  for (const n of nodes) {
    const p = pos.get(n.id);
    const rows = tasks.filter((t) => String(t.chain) === n.id);
    const cell = (w - 12) / Math.max(1, n.parallelism);
    parts.push(`<g class="vertex" data-id="${n.id}"><rect x="${p.x}" y="${p.y}" width="${w}" height="${h}" rx="5" fill="#fff" stroke="#4a5568"/>`);
    parts.push(`<text x="${p.x + 6}" y="${p.y + 16}"><title>${n.description}</title>${n.description.length > 28 ? n.description.slice(0, 27) + '…' : n.description}</text>`);
    parts.push(`<text x="${p.x + 6}" y="${p.y + 31}" fill="#4a5568">parallelism ${n.parallelism}</text>`);
    for (let s = 0; s < n.parallelism; s++) {
      const row = rows.find((t) => t.subtask === s);
      const tip = row ? `#${s}: busy ${row.busyTimeMsPerSecond}, backpressured ${row.backPressuredTimeMsPerSecond}, idle ${row.idleTimeMsPerSecond} ms/s` : `#${s}`;
      parts.push(`<rect class="subtask" x="${p.x + 6 + s * cell}" y="${p.y + 40}" width="${Math.max(2, cell - 2)}" height="16" fill="${colourOf(row)}"><title>${tip}</title></rect>`);
    }
    parts.push('</g>');
  }
  svg.innerHTML = parts.join('');
}

function push(chart, series, points) {
  chart.data.datasets[series].data = points;
}

function drawThroughput(series) {
  const at = (p) => (p.at + series.intervalMs) / 1000;
  push(view.charts.throughput, 0, series.points.map((p) => ({ x: at(p), y: p.sourceRecordsPerSec })));
  push(view.charts.throughput, 1, series.points.map((p) => ({ x: at(p), y: p.sinkRecordsPerSec })));
  view.charts.throughput.update();
}

function drawLatency(latency) {
  const at = (i) => (i.at + latency.intervalMs) / 1000;
  push(view.charts.latency, 0, latency.intervals.map((i) => ({ x: at(i), y: i.p50 })));
  push(view.charts.latency, 1, latency.intervals.map((i) => ({ x: at(i), y: i.p99 })));
  push(view.charts.latency, 2, latency.intervals.map((i) => ({ x: at(i), y: i.p999 })));
  view.charts.latency.update();
}

/** The slowest subtask of each phase in one checkpoint's details. */
function phases(details) {
  const subs = Object.values(details.tasks).flatMap((t) => t.subtasks);
  const max = (f) => Math.max(0, ...subs.map(f));
  return { delay: max((s) => s.start_delay), alignment: max((s) => s.alignment.duration), sync: max((s) => s.checkpoint.sync), async: max((s) => s.checkpoint.async) };
}

async function drawCheckpoints(stats) {
  const c = stats.counts;
  document.getElementById('checkpoint-counts').textContent = `(${c.completed} completed, ${c.failed} failed, ${c.in_progress} in progress)`;
  for (const h of stats.history) {
    if (!view.details.has(h.id)) view.details.set(h.id, await get(`/jobs/${view.jid}/checkpoints/details/${h.id}`));
  }
  const ids = [...view.details.keys()].sort((a, b) => a - b);
  const tbody = document.querySelector('#checkpoints tbody');
  tbody.innerHTML = ids.slice(-TABLE_ROWS).reverse().map((id) => {
    const d = view.details.get(id);
    const p = phases(d);
    return `<tr class="${d.status}" data-id="${id}"><td>${id}</td><td>${d.status}</td><td>${d.checkpoint_type}${d.final ? ' (final)' : ''}</td>`
      + `<td>${ms(d.end_to_end_duration)}</td><td>${bytes(d.checkpointed_size)}</td><td>${bytes(d.state_size)}</td>`
      + `<td>${ms(p.sync)}</td><td>${ms(p.async)}</td><td>${ms(p.alignment)}</td><td>${ms(p.delay)}</td></tr>`;
  }).join('');
  const done = ids.filter((id) => view.details.get(id).status === 'COMPLETED').slice(-TIMELINE_BARS);
  const t = view.charts.timeline;
  t.data.labels = done.map(String);
  ['delay', 'alignment', 'sync', 'async'].forEach((k, i) => (t.data.datasets[i].data = done.map((id) => phases(view.details.get(id))[k])));
  t.update();
}

async function refresh() {
  if (view.jid === null) view.jid = (await get('/jobs/overview')).jobs[0].jid;
  const base = `/jobs/${view.jid}`;
  const [job, tasks, latency, throughput] = await Promise.all([get(base), get(`${base}/tasks`), get(`${base}/latency`), get(`${base}/throughput`)]);
  document.getElementById('job-name').textContent = job.name;
  const state = document.getElementById('job-state');
  state.textContent = job.state;
  state.className = `state ${job.state}`;
  document.getElementById('job-meta').textContent = `${job.jid} · ${(job.duration / 1000).toFixed(1)} s`;
  drawGraph(job, tasks.tasks);
  drawThroughput(throughput);
  drawLatency(latency);
  if (job.isStoppable) await drawCheckpoints(await get(`${base}/checkpoints`));
  document.body.dataset.refreshed = String(Date.now());
  return ['FINISHED', 'FAILED', 'CANCELED'].includes(job.state);
}

async function loop() {
  try {
    if (await refresh()) return;
  } catch (err) {
    document.getElementById('job-meta').textContent = `cannot reach the job: ${err.message}`;
  }
  setTimeout(loop, POLL_MS);
}

setupCharts();
loop();
