/** `snapflow checkpoints <dir>`: what a checkpoint folder holds, checkpoint by checkpoint. */
import type { Argv } from 'yargs';
import { formatListing, hasProblems, listCheckpoints } from '../../runtime/storage/listing.js';

/** Registers the checkpoints command. */
export function checkpointsCommand(y: Argv): Argv {
  return y.command(
    'checkpoints <dir>',
    'List the completed checkpoints of a job folder or savepoint folder (or of every one in a folder) with their sizes, shared files and orphans',
    (c) => c
      .positional('dir', { type: 'string', describe: 'a job folder or a checkpoint folder holding job folders (path or file:// URI)', demandOption: true })
      .option('json', { type: 'boolean', default: false, describe: 'print the listing as one JSON object' })
      .option('verify', { type: 'boolean', default: false, describe: 'read every referenced file and check its size and SHA-256; exit 1 if any checkpoint is bad' }),
    async (argv) => {
      const listing = await listCheckpoints(argv.dir as string, { verify: argv.verify });
      process.stdout.write(argv.json ? JSON.stringify(listing) + '\n' : formatListing(listing));
      // Missing or damaged files fail the command only when asked to verify, so plain listing stays scriptable.
      if (argv.verify && hasProblems(listing)) process.exitCode = 1;
    },
  );
}
