/** `snapflow bench <benchmark>`: the benchmarks (never part of the tests). */
import type { Argv } from 'yargs';
import { benchThroughput } from '../../bench/throughput.js';
import { ConfigError } from '../../runtime/errors.js';
import { intList, positiveInt } from '../args.js';

/** Registers the bench command and its subcommands. */
export function benchCommand(y: Argv): Argv {
  return y.command('bench', 'Run a benchmark', (b) => b
    .command(
      'throughput',
      'Records/s of the stateless and keyed pipelines against parallelism, next to a bare MessagePort pipe',
      (c) => c
        .option('pipeline', { type: 'string', default: 'stateless,keyed', describe: 'stateless, keyed, or both (comma-separated)' })
        .option('parallelism', { type: 'string', default: '1,2,4,8', describe: 'comma-separated parallelism values' })
        .option('records', { type: 'string', default: '5000000', describe: 'records generated per run' })
        .option('keys', { type: 'string', default: '100000', describe: 'distinct keys of the generated records' })
        .option('runs', { type: 'number', default: 3, describe: 'runs per configuration (the median is reported)' })
        .option('chaining', { type: 'boolean', default: true, describe: 'fuse forward-connected operators (--no-chaining puts each operator on its own thread)' })
        .option('separate-sink', { type: 'boolean', default: false, describe: 'stateless: run the sink in its own actor, so records cross one channel like the bare pipe' })
        .option('threads', { type: 'number', describe: 'worker threads (default: number of cores)' })
        .option('sink-rate', { type: 'string', describe: 'records/s each sink subtask accepts: a deliberately slow sink' })
        .option('baseline', { type: 'boolean', default: true, describe: 'also measure the bare MessagePort pipe (--no-baseline to skip)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout (progress goes to stderr)' }),
      async (argv) => {
        const pipelines = String(argv.pipeline).split(',').map((s) => s.trim());
        for (const p of pipelines) if (p !== 'stateless' && p !== 'keyed') throw new ConfigError('--pipeline', `expected stateless or keyed, got "${p}"`);
        const report = await benchThroughput({
          pipelines: pipelines as ('stateless' | 'keyed')[],
          parallelism: intList('parallelism', argv.parallelism),
          records: positiveInt('records', argv.records),
          keys: positiveInt('keys', argv.keys),
          runs: positiveInt('runs', argv.runs),
          chaining: argv.chaining,
          separateSink: argv['separate-sink'],
          threads: argv.threads === undefined ? undefined : positiveInt('threads', argv.threads),
          sinkRate: argv['sink-rate'] === undefined ? undefined : positiveInt('sink-rate', argv['sink-rate']),
          baseline: argv.baseline,
          progress: (line) => process.stderr.write(line + '\n'),
        });
        if (argv.json) {
          process.stdout.write(JSON.stringify(report) + '\n');
          return;
        }
        const base = report.baseline?.recordsPerSec;
        if (base) process.stdout.write(`bare MessagePort pipe: ${base} records/s\n`);
        process.stdout.write('pipeline   parallelism  records/s    vs pipe  peak RSS MiB  latency p50/p99 ms\n');
        for (const r of report.results) {
          const ratio = base ? (r.recordsPerSec / base).toFixed(2) : '-';
          process.stdout.write(`${r.pipeline.padEnd(10)} ${String(r.parallelism).padStart(11)}  ${String(r.recordsPerSec).padStart(9)}  ${ratio.padStart(8)}  ${String(r.peakRssMiB).padStart(12)}  ${r.latencyMs.p50}/${r.latencyMs.p99}\n`);
        }
      },
    )
    .demandCommand(1, 'name a benchmark: throughput'));
}
