import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { userProject } from './support/typecheck.js';

/** The pages whose examples users copy: each must compile as it stands. */
const PAGES = ['README.md', 'docs/event-time.md'];
const pagePath = (page: string) => fileURLToPath(new URL(`../../${page}`, import.meta.url));

/** The README's TypeScript blocks, in order. */
function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

t.test("every TypeScript block of the README and the docs with examples compiles in a user's strict project", async (t) => {
  const files: Record<string, string> = {};
  for (const page of PAGES) {
    const blocks = typescriptBlocks(readFileSync(pagePath(page), 'utf8'));
    t.ok(blocks.length >= 2, `${page} has TypeScript examples (${blocks.length})`);
    blocks.forEach((b, i) => { files[`${page.replace(/\W+/g, '-')}-${i + 1}.ts`] = b; });
  }
  const project = userProject(files);
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
