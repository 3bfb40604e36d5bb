// tests/browser-safe.test.ts — the library's root entry point must bundle for a browser: no file
// reachable from index.ts may import a Node built-in (node:fs, ...), statically or by a literal
// import('node:...'). Node-only features (save/load on disk, data set files, SVG files, worker
// threads) get Node's modules on first use from runtime/node-builtins.ts, by names no bundler
// follows. A static scan of the sources; tests/browser/ bundles and runs the library for real.

import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Strips comments, so that an import written in a comment or docstring is not counted. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/**
 * The module specifiers of a file's static import and export-from statements, without the
 * type-only ones (TypeScript erases those). Dynamic import() calls are not statements: not here.
 */
function staticImports(source: string): string[] {
  const found: string[] = [];
  const statement = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?([^'"`;]*?\sfrom\s+)?(['"])([^'"]+)\4/g;
  for (const match of code(source).matchAll(statement)) {
    const [, keyword, typeOnly, clause, , specifier] = match;
    if (typeOnly !== undefined) continue;
    if (keyword === 'export' && clause === undefined) continue; // not an export-from
    found.push(specifier);
  }
  return found;
}

/** Every source file reachable from `entry` through static imports, with each one's imports. */
function reachable(entry: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    const imports = staticImports(readFileSync(file, 'utf8'));
    files.set(file, imports);
    for (const specifier of imports) {
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  }
  return files;
}

describe('the root entry point is browser-safe', () => {
  const graph = reachable(join(root, 'index.ts'));
  const name = (file: string) => relative(root, file);

  it('the scan sees the whole library, including the files that use Node', () => {
    const names = [...graph.keys()].map(name);
    for (const file of ['engine/tensor.ts', 'kernels/memory.ts', 'nn/sequential.ts', 'nn/saving/save.ts', 'nn/saving/load.ts', 'pictures/index.ts', 'datasets/files.ts', 'datasets/catalog.ts']) {
      expect(names).toContain(file);
    }
  });

  it('no reachable file imports anything but other library files at the top', () => {
    const outside = [...graph].flatMap(([file, imports]) => imports.filter((s) => !s.startsWith('.')).map((s) => `${name(file)} imports '${s}'`));
    expect(outside).toEqual([]);
  });

  it("no reachable file names a Node module in import() either: they come through runtime/node-builtins.ts", () => {
    // Bundlers resolve import('node:fs') inside a function just as they do a static import (types,
    // `typeof import('node:fs')` or `x: import('node:fs').Stats`, are erased).
    const literal = [...graph.keys()].filter((file) => /(?<!(?:typeof|[:<|])\s*)import\(\s*['"`]node:/.test(code(readFileSync(file, 'utf8')))).map(name);
    expect(literal).toEqual([]);
    for (const file of ['nn/saving/format.ts', 'nn/saving/folder.ts', 'files/read.ts', 'pictures/index.ts', 'datasets/files.ts', 'datasets/catalog.ts', 'kernels/threads.ts', 'nn/csv-logger.ts']) {
      expect(code(readFileSync(join(root, file), 'utf8')), file).toMatch(/nodeBuiltin(Now)?\('node:/);
    }
  });

  it('the scanner itself tells static, type-only and dynamic imports apart', () => {
    const sample = [
      "import { a } from './a.js';",
      "import type { B } from 'node:fs';",
      "export { c } from './c.js';",
      "export type { D } from 'node:path';",
      "import './side-effect.js';",
      "import {\n  e,\n  f,\n} from 'node:zlib';",
      "// import { g } from 'node:os';",
      "const h = await import('node:crypto');",
      'export const i = 1;',
    ].join('\n');
    expect(staticImports(sample)).toEqual(['./a.js', './c.js', './side-effect.js', 'node:zlib']);
  });
});
