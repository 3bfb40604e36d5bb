// runtime/node-builtins.ts — Node's built-in modules (node:fs, node:path, ...), loaded only when a
// Node-only feature is used (saving to a folder, reading a data set file, starting worker
// threads). It is the one place in the library that names them, and it names them where no
// bundler looks: a browser bundle of wasmgrad contains no Node import at all, whatever the
// bundler and its settings. It imports nothing, and every other room may import it.
//
// Why not `await import('node:fs')`: bundlers resolve a literal specifier even inside a function,
// and esbuild and Vite refuse to bundle `node:` modules for the browser. An import() of a
// non-literal specifier they leave alone; code that cannot wait gets process.getBuiltinModule
// (Node >= 20.16), a plain call.

/** The modules the library uses, and their types (type-only: erased from the JavaScript). */
export interface NodeBuiltins {
  'node:crypto': typeof import('node:crypto');
  'node:fs': typeof import('node:fs');
  'node:fs/promises': typeof import('node:fs/promises');
  'node:module': typeof import('node:module');
  'node:os': typeof import('node:os');
  'node:path': typeof import('node:path');
  'node:worker_threads': typeof import('node:worker_threads');
  'node:zlib': typeof import('node:zlib');
}

/** True in Node (and runtimes that pass for it); false in browsers and their Workers. */
export const isNode: boolean = typeof process === 'object' && typeof process?.versions?.node === 'string';

/**
 * Node's module `name`. Throws a clear Error outside Node, naming `feature` (what the caller
 * was asked to do), since nothing that needs it can work there.
 */
export async function nodeBuiltin<Name extends keyof NodeBuiltins>(name: Name, feature: string): Promise<NodeBuiltins[Name]> {
  if (!isNode) throw new Error(`wasmgrad: ${feature} needs Node (its ${name} module); this runtime is not Node`);
  // import(), not getBuiltinModule: a test runner's module mocks (vi.mock('node:fs/promises')) apply to it.
  const specifier: string = name;
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as NodeBuiltins[Name];
}

/**
 * Node's module `name` at once, for code that cannot wait; null outside Node and on Node older
 * than 20.16 (no process.getBuiltinModule), where the caller falls back to nodeBuiltin.
 */
export function nodeBuiltinNow<Name extends keyof NodeBuiltins>(name: Name): NodeBuiltins[Name] | null {
  if (!isNode) return null;
  const getBuiltinModule = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  return typeof getBuiltinModule === 'function' ? (getBuiltinModule(name) as NodeBuiltins[Name]) : null;
}
