#!/usr/bin/env node
/** The snapflow command line. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SnapflowError } from '../base/errors.js';
import { runCommand } from './commands/run.js';
import { benchCommand } from './commands/bench.js';
import { checkpointsCommand } from './commands/checkpoints.js';
import { savepointCommand } from './commands/savepoint.js';
import { chaosCommand } from './commands/chaos.js';
import { genCommand } from './commands/gen.js';
import { experimentCommand } from './commands/experiment.js';

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

let cli = yargs(hideBin(process.argv)).scriptName('snapflow').usage('$0 <command> [options]');
cli = runCommand(cli);
cli = benchCommand(cli);
cli = checkpointsCommand(cli);
cli = savepointCommand(cli);
cli = chaosCommand(cli);
cli = genCommand(cli);
cli = experimentCommand(cli);
cli
  .demandCommand(1, 'name a command: run, bench, checkpoints, savepoint, chaos, gen, experiment')
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
