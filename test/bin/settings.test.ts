/** Settings from a YAML file of Flink keys, -D and SNAPFLOW_ variables: mapping, precedence and errors that name key and file. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dynamicSettings, envSettings, fileSettings, givenFlags, resolveSettings, type DeclaredOptions } from '../../bin/settings.js';
import { tempDir } from '../support/files.js';

const CLI = fileURLToPath(new URL('../../bin/snapflow.js', import.meta.url));
const COUNTS = fileURLToPath(new URL('../fixtures/jobs/counts.js', import.meta.url));

const RUN: DeclaredOptions = {
  command: 'run',
  keys: new Set(['checkpoint-interval', 'checkpoint-mode', 'state-backend', 'checkpointing-mode', 'restart-strategy', 'restart-delay', 'parallelism', 'chaining', 'inject-failure', 'retained']),
  aliases: { parallelism: ['p'] }, numbers: new Set(['parallelism', 'retained']), booleans: new Set(['chaining']), arrays: new Set(['inject-failure']),
};

t.test('a YAML file of Flink keys, flat or nested, becomes flags', async (t) => {
  const dir = await tempDir(t, 'settings');
  const file = join(dir, 'flink.yaml');
  writeFileSync(file, [
    'execution:', '  checkpointing:', '    interval: 10 s', '    incremental: true', '    mode: EXACTLY_ONCE',
    'state.backend.type: hashmap', 'restart-strategy.type: fixeddelay', 'restart-strategy.fixed-delay.delay: 3 s',
    'parallelism.default: 3', 'pipeline.operator-chaining.enabled: false', 'state.checkpoints.num-retained: 2', 'rest.port: 8081',
  ].join('\n'));
  const values = resolveSettings([fileSettings(file)], RUN, new Set());
  t.same(Object.fromEntries(values), {
    'checkpoint-interval': '10 s', 'checkpoint-mode': 'incremental', 'checkpointing-mode': 'exactly-once', 'state-backend': 'heap',
    'restart-strategy': 'fixed-delay', 'restart-delay': '3 s', parallelism: 3, chaining: false, retained: 2,
  }, 'each key as its flag, values in the flag\'s spelling; rest.port does not apply to this command and is passed over');
});

t.test('the command line wins, then -D, then the environment, then the file', async (t) => {
  const file = [{ key: 'execution.checkpointing.interval', value: '1s', from: 'f.yaml' }, { key: 'parallelism.default', value: 2, from: 'f.yaml' }, { key: 'retained', value: 5, from: 'f.yaml' }];
  const env = envSettings({ SNAPFLOW_PARALLELISM: '4', SNAPFLOW_RETAINED: '6', SNAPFLOW_DEBUG: '1', PATH: '/bin' });
  const dynamic = dynamicSettings(['retained=7']);
  const given = givenFlags(['run', 'job.js', '--checkpoint-interval', '250ms', '--no-chaining'], RUN);
  t.same([...given].sort(), ['chaining', 'checkpoint-interval']);
  const values = resolveSettings([file, env, dynamic], RUN, given);
  t.same(Object.fromEntries(values), { parallelism: 4, retained: 7 }, 'the flag given on the line is left alone; -D beats the environment, which beats the file');
  t.same([...givenFlags(['-p', '3'], RUN)], ['parallelism'], 'an alias counts as its flag');
});

t.test('an unknown key or a bad value is an error naming the key and where it came from', async (t) => {
  const dir = await tempDir(t, 'settings-bad');
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'execution.checkpointing.intervall: 1s\n');
  t.throws(() => resolveSettings([fileSettings(file)], RUN, new Set()), { name: 'ConfigError', message: new RegExp(`execution\\.checkpointing\\.intervall \\(from ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): not a setting of snapflow run`) });
  t.throws(() => resolveSettings([[{ key: 'state.backend.type', value: 'rocksdb', from: file }]], RUN, new Set()), { name: 'ConfigError', message: /state\.backend\.type \(from .*bad\.yaml\): must be one of hashmap, heap, lmdb, got "rocksdb"/ });
  t.throws(() => resolveSettings([[{ key: 'parallelism.default', value: 'many', from: '-D' }]], RUN, new Set()), { name: 'ConfigError', message: /parallelism\.default \(from -D\)/ });
  t.throws(() => dynamicSettings(['novalue']), { name: 'ConfigError', message: /option D: expected key=value/ });
  writeFileSync(file, '- just\n- a list\n');
  t.throws(() => fileSettings(file), { name: 'ConfigError', message: /must hold a map of settings/ });
  writeFileSync(file, 'a: [unclosed\n');
  t.throws(() => fileSettings(file), { name: 'ConfigError', message: /option config: cannot read .*bad\.yaml/ });
});

t.test('snapflow run reads --config, -D and SNAPFLOW_ variables, and the command line wins', async (t) => {
  const dir = await tempDir(t, 'settings-cli');
  const file = join(dir, 'flink.yaml');
  // heap with incremental checkpoints cannot work: whichever layer sets the backend decides whether the run starts.
  writeFileSync(file, `execution.checkpointing.interval: 50ms\nexecution.checkpointing.incremental: true\nstate.backend.type: hashmap\nexecution.checkpointing.dir: ${join(dir, 'ckpt')}\n`);
  const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [CLI, 'run', COUNTS, '--param', 'records=2000', '--param', 'keys=7', '--quiet', '--json', '--config', file, ...args], {
    encoding: 'utf8', env: { ...process.env, ...env },
  });
  const fromFile = run([]);
  t.equal(fromFile.status, 2, 'the file alone: heap and incremental refused');
  t.match(fromFile.stderr, /heap/);
  const line = run(['--state-backend', 'lmdb']);
  t.equal(line.status, 0, `the command line beats the file: ${line.stderr.slice(-300)}`);
  t.ok(JSON.parse(line.stdout).checkpoints.counts.completed >= 1, 'checkpointing on from the file');
  t.equal(run(['-D', 'state.backend.type=lmdb']).status, 0, '-D beats the file');
  t.equal(run([], { SNAPFLOW_STATE_BACKEND: 'lmdb' }).status, 0, 'so does the environment');
  t.equal(run(['-D', 'state.backend.type=heap'], { SNAPFLOW_STATE_BACKEND: 'lmdb' }).status, 2, '-D beats the environment');
  const bad = run(['-D', 'execution.checkpointing.intervall=1s']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /execution\.checkpointing\.intervall \(from -D\)/);
});
