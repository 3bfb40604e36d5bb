// tests/browser-bundle.test.ts — an app bundled for browsers with esbuild that loads wasmgrad
// lazily, `await import('wasmgrad')`, gets working classes, whether the bundler puts the library
// in a chunk of its own (splitting) or wraps it inside the one file. An import cycle, or a
// top-level await the wrapper does not wait for, hands back Dense and Sequential as undefined.
// The bundle is built from the sources and then run here, in Node.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const folder = mkdtempSync(join(tmpdir(), 'wasmgrad-bundle-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const app = `
export async function run() {
  const wasmgrad = await import(${JSON.stringify(join(root, 'index.ts'))});
  const { Sequential, Dense, Dropout, tensor, setSeed } = wasmgrad;
  setSeed(1);
  const model = new Sequential([new Dense(8, { activation: 'relu', inputShape: [4] }), new Dropout(0.1), new Dense(3, { activation: 'softmax' })]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  await model.fit(tensor([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]), tensor([0, 1, 2]), { epochs: 2, verbose: 0 });
  const rows = model.predict(tensor([[1, 2, 3, 4], [0, 0, 0, 1]]));
  return { dense: typeof Dense, sequential: typeof Sequential, shape: rows.shape, sums: [0, 1].map((r) => rows.data[3 * r] + rows.data[3 * r + 1] + rows.data[3 * r + 2]) };
}
`;

describe('a browser bundle that loads wasmgrad with import()', () => {
  writeFileSync(join(folder, 'app.js'), app);

  it.each([
    ['in a chunk of its own (splitting)', true],
    ['wrapped inside the one file', false],
  ])('%s gets Dense and Sequential as classes; a model builds, trains and predicts', async (_, splitting) => {
    const outdir = join(folder, splitting ? 'split' : 'single');
    await build({
      entryPoints: [join(folder, 'app.js')],
      outdir,
      bundle: true,
      splitting,
      format: 'esm',
      platform: 'browser',
      // No external: nothing the browser entry reaches names a node: module (runtime/node-builtins.ts).
      logLevel: 'silent',
    });
    const { run } = await import(pathToFileURL(join(outdir, 'app.js')).href);
    const result = await run();
    expect(result.dense).toBe('function');
    expect(result.sequential).toBe('function');
    expect(result.shape).toEqual([2, 3]);
    for (const sum of result.sums) expect(sum).toBeCloseTo(1, 5);
  });
});
