/**
 * The rules of the source layout (docs/architecture.md), checked on the real imports: each
 * layer imports only the layers below it, no file imports itself back through others, the
 * runtime's root stays small and no file grows past 400 lines.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = ['base', 'backends', 'operators', 'runtime', 'bench', 'web', 'bin'];

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path);
    }
  };
  for (const d of SOURCES) walk(d);
  return out.sort();
}

/** Each file's imports of other source files (type-only imports count: they tie the files together too). */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    const text = readFileSync(join(ROOT, f), 'utf8');
    for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const target = normalize(join(dirname(f), m[1] ?? m[2])).replace(/\.js$/, '.ts');
      if (known.has(target)) deps.push(target);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** The strongly connected components with more than one file (Tarjan): each is an import cycle. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const files = sourceFiles();
const graph = importGraph(files);
const top = (f: string) => f.slice(0, f.indexOf('/'));
/** What each top folder may import, besides itself. */
const ALLOWED: Record<string, string[]> = {
  base: [], backends: ['base'], operators: ['base', 'backends'], runtime: ['base', 'backends', 'operators'],
  bench: ['base', 'backends', 'operators', 'runtime'], web: ['base', 'runtime'], bin: ['base', 'backends', 'operators', 'runtime', 'bench', 'web'],
};

t.test('the sources import one another without cycles', async (t) => {
  t.ok(files.length > 50, `${files.length} source files read`);
  t.same(cycles(graph), [], 'no import cycles');
});

t.test('each layer imports only the layers below it', async (t) => {
  const wrong: string[] = [];
  for (const [f, deps] of graph) {
    for (const d of deps) if (top(d) !== top(f) && !ALLOWED[top(f)].includes(top(d))) wrong.push(`${f} -> ${d}`);
  }
  t.same(wrong, [], 'base imports nothing of ours; backends and operators never import runtime');
});

t.test('runtime/ keeps its root small and every file stays under 400 lines', async (t) => {
  const root = files.filter((f) => /^runtime\/[^/]+\.ts$/.test(f));
  t.ok(root.length <= 6, `files directly in runtime/: ${root.join(', ')}`);
  const long = files.map((f) => [f, readFileSync(join(ROOT, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 400);
  t.same(long, [], 'no file over 400 lines');
});

t.test('the check sees a cycle when there is one', async (t) => {
  const g = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
  t.same(cycles(g), [['a.ts', 'b.ts', 'c.ts']]);
});
