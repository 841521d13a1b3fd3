import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CARET, userProject } from '../../support/typecheck.js';

// The fixture is TypeScript source, read from the repository (it is not compiled with the project).
const FIXTURE = fileURLToPath(new URL('../../../../test/fixtures/types/api.ts', import.meta.url));

t.test('types flow through the public API as the fixture pins them, expected errors included', async (t) => {
  const source = readFileSync(FIXTURE, 'utf8');
  t.ok((source.match(/@ts-expect-error/g) ?? []).length >= 10, 'the fixture pins its expected errors');
  const project = userProject({ 'api.ts': source });
  t.teardown(() => project.cleanup());
  t.same(project.diagnostics(), [], 'a strict project compiles it against the built package');
});

t.test('a wrong expectation is reported, so the check can fail', async (t) => {
  const project = userProject({
    'wrong.ts': `import { defineJob } from 'snapflow';\nexport default defineJob((env) => { const n: string = 1 as number; env.fromCollection([n]).print(); });\n`,
  });
  t.teardown(() => project.cleanup());
  t.match(project.diagnostics(), [/wrong\.ts:2: Type 'number' is not assignable to type 'string'/]);
});

t.test('editors offer the API and none of the runtime internals', async (t) => {
  const project = userProject({
    'env.ts': `import { defineJob } from 'snapflow';\nexport default defineJob((env) => { env.${CARET} });\n`,
    'stream.ts': `import { defineJob } from 'snapflow';\nexport default defineJob((env) => { env.fromCollection([1]).${CARET} });\n`,
    'keyed.ts': `import { defineJob } from 'snapflow';\nexport default defineJob((env) => { env.fromCollection([1]).keyBy((x) => x).${CARET} });\n`,
    'sink.ts': `import { defineJob } from 'snapflow';\nexport default defineJob((env) => { env.fromCollection([1]).print().${CARET} });\n`,
  });
  t.teardown(() => project.cleanup());
  const internals = ['graph', 'claimSinkName', 'node', 'builder', 'edge', 'then', 'sink', 'repartitioned', 'selector'];
  const env = project.completions('env.ts');
  t.ok(['fromCsv', 'fromCollection', 'fromGenerator', 'addSource', 'setParallelism'].every((m) => env.includes(m)), `environment: ${env.join(', ')}`);
  const stream = project.completions('stream.ts');
  t.ok(['map', 'filter', 'keyBy', 'transform', 'print', 'sinkTo', 'setParallelism'].every((m) => stream.includes(m)), `stream: ${stream.join(', ')}`);
  const keyed = project.completions('keyed.ts');
  t.ok(['process', 'reduce', 'aggregate', 'map'].every((m) => keyed.includes(m)), `keyed stream: ${keyed.join(', ')}`);
  t.same(project.completions('sink.ts').sort(), ['disableChaining', 'name', 'setParallelism', 'startNewChain'], 'a sink offers its settings only');
  for (const [what, names] of [['environment', env], ['stream', stream], ['keyed stream', keyed]] as const) {
    t.same(names.filter((n) => internals.includes(n)), [], `${what}: no internals offered`);
  }
});
