/**
 * A test helper: a user's TypeScript project in a temporary folder, compiled with strict
 * settings against the built package (installed as `snapflow` in its node_modules, resolved
 * through the package's exports map), with its diagnostics and the completions an editor
 * would offer at a marked position.
 */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root: compiled tests live in dist/test/support/. */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Marks where completions are asked for in a file; removed before compiling. */
export const CARET = '/*|*/';

const OPTIONS: ts.CompilerOptions = {
  strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, types: ['node'],
  typeRoots: [join(ROOT, 'node_modules', '@types')],
};

/** A compiled user project. */
export interface UserProject {
  /** Every error, as `file:line: message`. */
  diagnostics(): string[];
  /** The member names an editor offers at the caret of `file`. */
  completions(file: string): string[];
  cleanup(): void;
}

/** Writes `files` (name → source) into a fresh project that depends on the built package. */
export function userProject(files: Record<string, string>): UserProject {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-types-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'snapflow'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', type: 'module', private: true }));
  const carets = new Map<string, number>();
  const paths: string[] = [];
  for (const [name, source] of Object.entries(files)) {
    const at = source.indexOf(CARET);
    if (at >= 0) carets.set(name, at);
    const path = join(dir, name);
    writeFileSync(path, source.replace(CARET, ''));
    paths.push(path);
  }
  const text = (p: string) => ts.sys.readFile(p);
  const service = ts.createLanguageService({
    getCompilationSettings: () => OPTIONS,
    getScriptFileNames: () => paths,
    getScriptVersion: () => '1',
    getScriptSnapshot: (p) => {
      const t = text(p);
      return t === undefined ? undefined : ts.ScriptSnapshot.fromString(t);
    },
    getCurrentDirectory: () => dir,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: text,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
    realpath: ts.sys.realpath,
  });
  return {
    diagnostics() {
      const program = service.getProgram()!;
      return ts.getPreEmitDiagnostics(program).map((d) => {
        const msg = ts.flattenDiagnosticMessageText(d.messageText, ' ');
        if (!d.file || d.start === undefined) return msg;
        const { line } = d.file.getLineAndCharacterOfPosition(d.start);
        return `${d.file.fileName.slice(dir.length + 1)}:${line + 1}: ${msg}`;
      });
    },
    completions(file) {
      const at = carets.get(file);
      if (at === undefined) throw new Error(`${file} has no ${CARET} marker`);
      const info = service.getCompletionsAtPosition(join(dir, file), at, {});
      return (info?.entries ?? []).map((e) => e.name);
    },
    cleanup() {
      service.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
