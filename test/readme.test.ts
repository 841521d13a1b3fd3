import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { userProject } from './support/typecheck.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The README's TypeScript blocks, in order. */
function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

t.test("every TypeScript block of the README compiles in a user's strict project", async (t) => {
  const blocks = typescriptBlocks(readFileSync(README, 'utf8'));
  t.ok(blocks.length >= 2, `the README has TypeScript examples (${blocks.length})`);
  const project = userProject(Object.fromEntries(blocks.map((b, i) => [`readme-${i + 1}.ts`, b])));
  t.teardown(() => project.cleanup());
  t.same(project.diagnostics(), [], 'no errors');
});

t.test('a README block that does not compile is caught', async (t) => {
  const blocks = typescriptBlocks("# x\n\n```ts\nimport { defineJob } from 'snapflow';\ndefineJob((env) => env.fromCollection([1]).map((x) => x.length));\n```\n");
  t.equal(blocks.length, 1);
  const project = userProject({ 'readme-1.ts': blocks[0] });
  t.teardown(() => project.cleanup());
  t.match(project.diagnostics(), [/Property 'length' does not exist on type 'number'/]);
});
