/** `snapflow bench <benchmark>`: the benchmarks (never part of the tests). */
import type { Argv } from 'yargs';
import { benchThroughput } from '../../bench/throughput.js';
import { benchCheckpoint, checkTargets } from '../../bench/checkpoint.js';
import { benchRecovery } from '../../bench/recovery.js';
import { ConfigError } from '../../base/errors.js';
import { choiceList, intList, positiveDuration, positiveInt } from '../args.js';
import { benchWindows, compareModes, WINDOW_ASSIGNERS } from '../../bench/windows.js';
import { nexmarkCommand } from './bench-nexmark.js';
import { costCommand } from './bench-cost.js';
import { backpressureCommand } from './bench-backpressure.js';
import { SUITE_PARTS, commandOf, defaultOutDir, planSuiteOrFail, runSuite, type SuitePart } from '../../bench/suite.js';
import { loadChartLibrary, readResults, regenerateReport } from '../../bench/report.js';
import { compareResults, formatComparison, renderComparison } from '../../bench/compare.js';
import { textTable } from '../../base/text-table.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeCrossover, rebaseNote } from '../../bench/report-data.js';
import { BACKEND_KINDS, CHECKPOINT_MODES, type BackendKind, type CheckpointMode } from '../../base/kinds.js';
import { REBASE_FLAGS } from '../checkpoint-args.js';

/** Writes a table's lines to stdout. */
const printLines = (lines: string[]) => void process.stdout.write(lines.join('\n') + '\n');

/** Registers the bench command and its subcommands. */
export function benchCommand(y: Argv): Argv {
  return y.command('bench', 'Run a benchmark, or the suite of them (the default)', (b) => backpressureCommand(costCommand(nexmarkCommand(b)))
    .command(
      ['suite', '$0'],
      'Run throughput, checkpoint and recovery as a sweep and write JSON, CSV and an HTML report to a folder',
      (c) => c
        .option('full', { type: 'boolean', default: false, describe: 'the long sweep (81 min on 2 cores): parallelism to 16, 10^4 to 10^7 keys, 0.1% to 100% changed, both backends, intervals' })
        .option('only', { type: 'string', describe: `comma-separated parts to run: ${SUITE_PARTS.join(', ')} (default all)` })
        .option('max-keys', { type: 'string', describe: 'leave out state sizes above this many keys' })
        .option('plan', { type: 'boolean', default: false, describe: 'print the steps and the command of each, and run nothing' })
        .option('out', { type: 'string', describe: 'results folder (default bench-results/<timestamp>)' })
        .option('threads', { type: 'number', describe: 'worker threads (default: number of cores)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout: the folder, its files and the crossover (progress goes to stderr)' }),
      async (argv) => {
        const only = argv.only === undefined ? undefined : String(argv.only).split(',').map((p) => p.trim()).filter(Boolean);
        for (const part of only ?? []) {
          if (!(SUITE_PARTS as readonly string[]).includes(part)) throw new ConfigError('--only', `unknown part "${part}"; the parts are ${SUITE_PARTS.join(', ')}`);
        }
        const plan = {
          full: argv.full, only: only as SuitePart[] | undefined,
          maxKeys: argv['max-keys'] === undefined ? undefined : positiveInt('max-keys', argv['max-keys']),
          threads: argv.threads === undefined ? undefined : positiveInt('threads', argv.threads),
        };
        if (argv.plan) {
          const steps = planSuiteOrFail(plan);
          if (argv.json) process.stdout.write(JSON.stringify(steps.map((step) => ({ part: step.part, label: step.label, command: commandOf(step) }))) + '\n');
          else for (const [i, step] of steps.entries()) process.stdout.write(`${i + 1}. [${step.part}] ${step.label}\n   ${commandOf(step)}\n`);
          return;
        }
        const out = argv.out ?? defaultOutDir();
        const outcome = await runSuite({ ...plan, out });
        const crossover = outcome.crossovers.map((c) => ({ ...c, text: describeCrossover(c) }));
        if (argv.json) {
          process.stdout.write(JSON.stringify({ dir: outcome.dir, files: outcome.files, crossover }) + '\n');
          return;
        }
        process.stdout.write(`results in ${outcome.dir}/ (open report.html in a browser)\n`);
        for (const c of crossover) process.stdout.write(`crossover: ${c.text}\n`);
        if (crossover.some((c) => c.stopsAt !== null)) process.stdout.write(`${rebaseNote()}\n`);
      },
    )
    .command(
      'report <dir>',
      'Rewrite the CSV files and report.html of a results folder from its JSON files',
      (c) => c.positional('dir', { type: 'string', demandOption: true, describe: 'results folder written by snapflow bench' })
        .option('json', { type: 'boolean', default: false, describe: 'print the folder and the files written as one JSON object' }),
      async (argv) => {
        const files = await regenerateReport(String(argv.dir));
        if (argv.json) process.stdout.write(JSON.stringify({ dir: argv.dir, files }) + '\n');
        else for (const f of files) process.stdout.write(f + '\n');
      },
    )
    .command(
      'compare <old> <new>',
      'Each figure of two results folders side by side, its change, and whether it is beyond the noise; draws them into compare.html',
      (c) => c.positional('old', { type: 'string', demandOption: true, describe: 'the earlier results folder' })
        .positional('new', { type: 'string', demandOption: true, describe: 'the later results folder' })
        .option('out', { type: 'string', describe: 'the page drawing the changes (default: compare.html in the new folder)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the changes as one JSON object' }),
      async (argv) => {
        const [older, newer] = [String(argv.old), String(argv.new)];
        const changes = compareResults(await readResults(older), await readResults(newer));
        const out = argv.out ?? join(newer, 'compare.html');
        await writeFile(out, renderComparison(changes, older, newer, (await loadChartLibrary()).source));
        if (argv.json) process.stdout.write(JSON.stringify({ old: older, new: newer, page: out, changes }) + '\n');
        else process.stdout.write(formatComparison(changes) + `drawn in ${out}\n`);
      },
    )
    .command(
      'throughput',
      'Records/s of the stateless and keyed pipelines against parallelism, next to a bare MessagePort pipe',
      (c) => c
        .option('pipeline', { type: 'string', default: 'stateless,keyed', describe: 'stateless, keyed, or both (comma-separated)' })
        .option('parallelism', { type: 'string', default: '1,2,4,8', describe: 'comma-separated parallelism values' })
        .option('records', { type: 'string', default: '5000000', describe: 'records generated per run' })
        .option('input', { type: 'string', describe: 'read the transactions from this file (written by snapflow gen) instead of generating them; the records are then its rows (--records sizes only the pipe baseline, --keys is unused)' })
        .option('keys', { type: 'string', default: '100000', describe: 'distinct keys of the generated records' })
        .option('runs', { type: 'number', default: 3, describe: 'runs per configuration (the median is reported)' })
        .option('chaining', { type: 'boolean', default: true, describe: 'fuse forward-connected operators (--no-chaining puts each operator on its own thread)' })
        .option('separate-sink', { type: 'boolean', default: false, describe: 'stateless: run the sink in its own actor, so records cross one channel like the bare pipe' })
        .option('threads', { type: 'number', describe: 'worker threads (default: number of cores)' })
        .option('sink-rate', { type: 'string', describe: 'records/s each sink subtask accepts: a deliberately slow sink' })
        .option('baseline', { type: 'boolean', default: true, describe: 'also measure the bare MessagePort pipe (--no-baseline to skip)' })
        .option('state-backend', { type: 'string', choices: BACKEND_KINDS, describe: 'state backend of the keyed pipeline (default lmdb)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout (progress goes to stderr)' }),
      async (argv) => {
        const pipelines = String(argv.pipeline).split(',').map((s) => s.trim());
        for (const p of pipelines) if (p !== 'stateless' && p !== 'keyed') throw new ConfigError('--pipeline', `expected stateless or keyed, got "${p}"`);
        const input = argv.input as string | undefined;
        const report = await benchThroughput({
          pipelines: pipelines as ('stateless' | 'keyed')[],
          parallelism: intList('parallelism', argv.parallelism),
          records: positiveInt('records', argv.records),
          input,
          keys: positiveInt('keys', argv.keys),
          runs: positiveInt('runs', argv.runs),
          chaining: argv.chaining,
          separateSink: argv['separate-sink'],
          threads: argv.threads === undefined ? undefined : positiveInt('threads', argv.threads),
          sinkRate: argv['sink-rate'] === undefined ? undefined : positiveInt('sink-rate', argv['sink-rate']),
          baseline: argv.baseline,
          stateBackend: argv['state-backend'] as BackendKind | undefined,
          progress: (line) => process.stderr.write(line + '\n'),
        });
        if (argv.json) {
          process.stdout.write(JSON.stringify(report) + '\n');
          return;
        }
        const base = report.baseline?.recordsPerSec;
        if (base) process.stdout.write(`bare MessagePort pipe: ${base} records/s\n`);
        // A pipeline chained into one actor per subtask has no channel for latency markers to cross.
        const ms = (v: number) => (Number.isNaN(v) ? '-' : String(v));
        const rows = report.results.map((r) => [
          r.pipeline, String(r.parallelism), String(r.recordsPerSec), base ? (r.recordsPerSec / base).toFixed(2) : '-', String(r.peakRssMiB), `${ms(r.latencyMs.p50)}/${ms(r.latencyMs.p99)}`,
        ]);
        printLines(textTable(['pipeline', 'parallelism', 'records/s', 'vs pipe', 'peak RSS MiB', 'latency p50/p99 ms'], rows));
      },
    )
    .command(
      'checkpoint',
      'Bytes and durations of full and incremental checkpoints on real keyed state, and their cost in throughput',
      (c) => c
        .option('keys', { type: 'number', default: 1_000_000, describe: 'keys loaded into state' })
        .option('update-ratio', { type: 'number', default: 0.01, describe: 'share of the keys updated between two checkpoints' })
        .option('checkpoints', { type: 'number', default: 10, describe: 'checkpoints measured after the load' })
        .option('checkpoint-mode', { alias: 'mode', type: 'string', default: 'full,incremental', describe: 'full, incremental, or both (comma-separated)' })
        .option('value-bytes', { type: 'number', default: 64, describe: 'padding bytes in every state value' })
        .option('parallelism', { type: 'number', default: 1, describe: 'parallelism of the keyed operator' })
        .option('checkpoint-interval', { alias: 'interval', type: 'string', default: '1s', describe: 'checkpoint interval of the throughput runs (a bare number is ms)' })
        .option('stream-updates', { type: 'number', describe: 'updates per throughput run after the load (default 10 × keys)' })
        .option('runs', { type: 'number', default: 1, describe: 'throughput runs per mode (the median is reported); 0 measures the checkpoints alone' })
        .option('state-backend', { type: 'string', default: 'lmdb', choices: BACKEND_KINDS, describe: 'state backend' })
        .options(REBASE_FLAGS)
        .option('threads', { type: 'number', describe: 'worker threads (default: number of cores)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout (progress goes to stderr)' }),
      async (argv) => {
        const modes = choiceList('checkpoint-mode', argv['checkpoint-mode'], CHECKPOINT_MODES);
        const ratio = Number(argv['update-ratio']);
        if (!(ratio > 0 && ratio <= 1)) throw new ConfigError('update-ratio', `must be in (0, 1], got ${argv['update-ratio']}`);
        const keys = positiveInt('keys', argv.keys);
        const report = await benchCheckpoint({
          keys, updateRatio: ratio, checkpoints: positiveInt('checkpoints', argv.checkpoints), modes: modes as (CheckpointMode)[],
          valueBytes: argv['value-bytes'], parallelism: positiveInt('parallelism', argv.parallelism), intervalMs: positiveDuration('checkpoint-interval', argv['checkpoint-interval']),
          streamUpdates: argv['stream-updates'] === undefined ? 10 * keys : positiveInt('stream-updates', argv['stream-updates']),
          runs: argv.runs === 0 ? 0 : positiveInt('runs', argv.runs), stateBackend: argv['state-backend'] as BackendKind,
          maxDeltas: argv['max-deltas'], maxDeltaRatio: argv['max-delta-ratio'],
          threads: argv.threads === undefined ? undefined : positiveInt('threads', argv.threads),
          progress: (line) => process.stderr.write(line + '\n'),
        });
        if (argv.json) {
          process.stdout.write(JSON.stringify(report) + '\n');
          return;
        }
        for (const r of report.results) {
          process.stdout.write(`${r.mode}: ${r.keys} keys, ${r.avgEntryBytes} B per key, ${r.changedKeysPerCheckpoint} keys changed per checkpoint\n`);
          const rows = [r.loadCheckpoint, ...r.checkpoints].map((k) => [
            String(k.id), String(k.checkpointedBytes), String(k.fullStateBytes), String(k.e2eMs), String(k.syncMs), String(k.asyncMs), String(k.alignmentMs), k === r.loadCheckpoint ? '(after the load)' : '',
          ]);
          printLines(textTable(['id', 'checkpointed', 'full state', 'e2e ms', 'sync ms', 'async ms', 'align ms', ''], rows, { align: ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'], indent: '  ' }));
        }
        for (const line of checkTargets(report)) process.stdout.write(line + '\n');
      },
    )
    .command(
      'windows',
      'State size, bytes, deletions and duration of full and incremental checkpoints on tumbling and sliding window state',
      (c) => c
        .option('keys', { type: 'string', default: '100000', describe: 'distinct keys, each with its windows open' })
        .option('records', { type: 'string', default: '1000000', describe: 'records generated' })
        .option('assigner', { type: 'string', default: 'tumbling,sliding', describe: 'tumbling, sliding, or both (comma-separated)' })
        .option('checkpoint-mode', { alias: 'mode', type: 'string', default: 'full,incremental', describe: 'full, incremental, or both (comma-separated)' })
        .option('window-records', { type: 'string', default: '2', describe: 'records of an average key in one window' })
        .option('overlap', { type: 'string', default: '4', describe: 'sliding: windows each record belongs to (size / slide)' })
        .option('checkpoint-interval', { alias: 'interval', type: 'string', default: '500ms', describe: 'checkpoint interval (a bare number is ms)' })
        .option('parallelism', { type: 'string', default: '1', describe: 'parallelism of every operator' })
        .option('state-backend', { type: 'string', default: 'lmdb', choices: ['lmdb'], describe: 'state backend (incremental checkpoints need lmdb)' })
        .options(REBASE_FLAGS)
        .option('rate', { type: 'string', describe: 'records per second over all sources (default unlimited)' })
        .option('threads', { type: 'number', describe: 'worker threads (default: number of cores)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout (progress goes to stderr)' }),
      async (argv) => {
        const report = await benchWindows({
          rate: argv.rate === undefined ? undefined : positiveInt('rate', argv.rate),
          keys: positiveInt('keys', argv.keys), records: positiveInt('records', argv.records),
          assigners: choiceList('assigner', argv.assigner, WINDOW_ASSIGNERS), modes: choiceList('checkpoint-mode', argv['checkpoint-mode'], CHECKPOINT_MODES),
          windowRecordsPerKey: positiveInt('window-records', argv['window-records']), overlap: positiveInt('overlap', argv.overlap),
          intervalMs: positiveDuration('checkpoint-interval', argv['checkpoint-interval']), parallelism: positiveInt('parallelism', argv.parallelism),
          stateBackend: argv['state-backend'] as BackendKind, maxDeltas: argv['max-deltas'], maxDeltaRatio: argv['max-delta-ratio'], threads: argv.threads === undefined ? undefined : positiveInt('threads', argv.threads),
          progress: (line) => process.stderr.write(line + '\n'),
        });
        if (argv.json) {
          process.stdout.write(JSON.stringify(report) + '\n');
          return;
        }
        const rows = report.results.map((r) => [
          r.assigner, r.mode, String(r.checkpoints.length), String(r.deltas), String(r.stateBytesMean), String(r.bytesPerCheckpointMean),
          String(r.deletionsPerCheckpointMean), `${r.e2eMsMedian}/${r.e2eMsMax}`, String(r.recordsPerSec), String(r.windowsFired),
        ]);
        const header = ['assigner', 'mode', 'checkpoints', 'deltas', 'state B (mean)', 'written B (mean)', 'deletions (mean)', 'e2e ms p50/max', 'records/s', 'windows'];
        printLines(textTable(header, rows, { align: ['left', 'left'] }));
        for (const line of compareModes(report)) process.stdout.write(line + '\n');
      },
    )
    .command(
      'recovery',
      'Restore time of LMDB keyed state from a full checkpoint and from incremental chains of given lengths',
      (c) => c
        .option('keys', { type: 'number', default: 1_000_000, describe: 'keys in state' })
        .option('chain-lengths', { type: 'string', default: '0,5,10,20', describe: 'deltas on the base (comma-separated; 0 is the base alone)' })
        .option('update-ratio', { type: 'number', default: 0.01, describe: 'share of the keys each delta updates' })
        .option('value-bytes', { type: 'number', default: 64, describe: 'padding bytes in every state value' })
        .option('runs', { type: 'number', default: 3, describe: 'restores per chain length (the median is reported)' })
        .option('policy-worst-case', { type: 'boolean', default: false, describe: 'also measure the longest chain the default re-base policy allows at this update ratio' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout (progress goes to stderr)' }),
      async (argv) => {
        const ratio = Number(argv['update-ratio']);
        if (!(ratio > 0 && ratio <= 1)) throw new ConfigError('update-ratio', `must be in (0, 1], got ${argv['update-ratio']}`);
        const lengths = String(argv['chain-lengths']).split(',').map((v) => {
          const n = Number(v.trim());
          if (!Number.isInteger(n) || n < 0) throw new ConfigError('chain-lengths', `expected whole numbers ≥ 0, got "${v}"`);
          return n;
        });
        const report = await benchRecovery({
          keys: positiveInt('keys', argv.keys), chainLengths: lengths, updateRatio: ratio, runs: positiveInt('runs', argv.runs),
          valueBytes: argv['value-bytes'], policyWorstCase: argv['policy-worst-case'], progress: (line) => process.stderr.write(line + '\n'),
        });
        if (argv.json) {
          process.stdout.write(JSON.stringify(report) + '\n');
          return;
        }
        const rows = report.results.map((r) => [
          String(r.chainLength), r.deltaRatio.toFixed(3), String(r.restoredBytes), String(r.restoreMs), r.vsFull.toFixed(2), String(r.fullKeysPerSec),
          r.policy === undefined ? '' : 'longest chain of the default re-base policy',
        ]);
        printLines(textTable(['deltas', 'delta/base', 'restored bytes', 'restore ms', '× full', 'full keys/s', ''], rows, { align: ['right', 'right', 'right', 'right', 'right', 'right', 'left'] }));
      },
    )
  );
}
