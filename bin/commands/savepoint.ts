/** `snapflow savepoint <pid>`: asks a running `snapflow run --savepoint-dir …` for a savepoint, or to stop with one. */
import type { Argv } from 'yargs';
import { ConfigError, errorMessage } from '../../base/errors.js';
import { positiveInt } from '../args.js';

/** Registers the savepoint command. */
export function savepointCommand(y: Argv): Argv {
  return y.command(
    'savepoint <pid>',
    'Take a savepoint of a running job (signal SIGUSR2), or stop it with one (--stop, signal SIGTERM); the job prints the folder',
    (c) => c
      .positional('pid', { type: 'number', describe: 'process id of the `snapflow run` that was given --savepoint-dir', demandOption: true })
      .option('stop', { type: 'boolean', default: false, describe: 'end the job once the savepoint is complete' })
      .option('json', { type: 'boolean', default: false, describe: 'print the request as one JSON object on stdout' }),
    async (argv) => {
      const pid = positiveInt('pid', argv.pid as number);
      try {
        process.kill(pid, argv.stop ? 'SIGTERM' : 'SIGUSR2');
      } catch (err) {
        throw new ConfigError('pid', `cannot signal process ${pid}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
      }
      if (argv.json) {
        process.stdout.write(JSON.stringify({ pid, signal: argv.stop ? 'SIGTERM' : 'SIGUSR2', stop: argv.stop }) + '\n');
        return;
      }
      process.stderr.write(`snapflow: asked process ${pid} for a savepoint${argv.stop ? ' and to stop' : ''}; it prints the savepoint folder on its stderr\n`);
    },
  );
}
