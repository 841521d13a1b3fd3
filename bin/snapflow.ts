#!/usr/bin/env node
/** The snapflow command line. */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SnapflowError } from '../base/errors.js';
import { runCommand } from './commands/run.js';
import { benchCommand } from './commands/bench.js';
import { checkpointsCommand } from './commands/checkpoints.js';
import { savepointCommand } from './commands/savepoint.js';
import { chaosCommand } from './commands/chaos.js';
import { genCommand } from './commands/gen.js';
import { experimentCommand } from './commands/experiment.js';
import { applySettings } from './settings.js';

function report(err: unknown): never {
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`snapflow: ${e.name === 'Error' ? '' : e.name + ': '}${e.message}\n`);
  if (process.env.SNAPFLOW_DEBUG && e.stack) process.stderr.write(e.stack + '\n');
  const cancelled = err instanceof SnapflowError && err.name === 'CancelledError';
  process.exit(cancelled ? 130 : err instanceof SnapflowError && err.name === 'ConfigError' ? 2 : 1);
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  // A reader that went away (`snapflow run job | head`) has all it wanted.
  if (err.code === 'EPIPE') process.exit(0);
  report(err);
});

const args = hideBin(process.argv);
// yargs passes its instance to middleware as a second argument its types leave out; the settings read the command's options from it.
// A middleware's error escapes yargs' failure handler, so it is reported here.
const withSettings = ((argv: Record<string, unknown>, y: unknown) => {
  try {
    applySettings(argv, y, args, process.env);
  } catch (err) {
    report(err);
  }
}) as unknown as (argv: Record<string, unknown>) => void;
let cli: Argv = yargs(args).scriptName('snapflow').usage('$0 <command> [options]')
  .option('config', { type: 'string', global: true, describe: 'YAML file of settings: Flink\'s keys (execution.checkpointing.interval, state.backend.type, …) or these flags\' names; flags win over it (docs/configuration.md)' })
  .option('D', { type: 'string', array: true, global: true, describe: 'one setting as key=value, a Flink key or a flag\'s name (repeatable); wins over --config and SNAPFLOW_* variables' })
  .middleware(withSettings, true) as unknown as Argv;
cli = runCommand(cli);
cli = benchCommand(cli);
cli = checkpointsCommand(cli);
cli = savepointCommand(cli);
cli = chaosCommand(cli);
cli = genCommand(cli);
cli = experimentCommand(cli);
cli
  .demandCommand(1, 'name a command: run, bench, checkpoints, savepoint, chaos, gen, experiment')
  .example('$0 experiment', 'full against incremental checkpoints, as the lab compared them (npm start)')
  .example('$0 run transactions -p 2 --checkpoint-interval 1s', 'a bundled job with checkpoints every second')
  .example('$0 bench --only cost,nexmark', 'two parts of the bench suite, into a folder with an HTML report')
  .epilogue('Settings also come from --config FILE.yaml (Flink keys), -D key=value and SNAPFLOW_<FLAG> variables. The docs are in docs/: start with README.md.')
  .strict()
  .help()
  .alias('help', 'h')
  .fail((msg, err) => {
    if (err) report(err);
    process.stderr.write(`snapflow: ${msg}\nRun snapflow --help for usage.\n`);
    process.exit(2);
  })
  .parseAsync()
  .catch(report);
