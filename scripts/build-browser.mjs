// scripts/build-browser.mjs — bundles the demo (demo/main.ts and its Worker demo/train-worker.ts
// into demo/dist/) and the browser test pages (tests/browser/pages/*.ts into out/browser/) with
// esbuild at its default settings, exactly as a user of the package would: `import ... from
// 'wasmgrad'` resolves through package.json's exports to the compiled dist/ (run `npm run build`
// first). Each Worker is an entry point of its own, as esbuild needs. Not a dev server.
//
//   node scripts/build-browser.mjs          # both
//   node scripts/build-browser.mjs demo     # the demo only

import { build } from 'esbuild';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** esbuild's defaults (format iife for the browser, target esnext), plus only what must be said. */
async function bundle(entryPoints, outdir) {
  const result = await build({
    entryPoints, outdir, bundle: true, sourcemap: true, logLevel: 'warning', absWorkingDir: root,
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed on ${entryPoints.join(', ')}`);
}

export async function buildDemo() {
  await bundle(['demo/main.ts', 'demo/train-worker.ts'], join(root, 'demo/dist'));
}

/**
 * The test pages: every tests/browser/pages/*.ts is a page of its own (an .html that loads it),
 * and every *.worker.ts beside them a Worker entry point.
 */
export async function buildTestPages() {
  const pagesDir = join(root, 'tests/browser/pages');
  const outdir = join(root, 'out/browser');
  const sources = (await readdir(pagesDir)).filter((file) => file.endsWith('.ts'));
  await mkdir(outdir, { recursive: true });
  await bundle(sources.map((file) => `tests/browser/pages/${file}`), outdir);
  for (const file of sources.filter((name) => !name.endsWith('.worker.ts'))) {
    const name = file.replace(/\.ts$/, '');
    await writeFile(join(outdir, `${name}.html`), `<!doctype html>\n<meta charset="utf-8">\n<title>${name}</title>\n<script src="${name}.js"></script>\n`);
  }
}

/**
 * tests/browser/vite/ built by `vite build` with no config file (Vite's defaults) into
 * out/browser-vite/, served from its own root (Vite's default base is '/').
 */
export async function buildVitePage() {
  const { build: viteBuild } = await import('vite');
  await viteBuild({
    root: join(root, 'tests/browser/vite'), configFile: false, logLevel: 'warn',
    build: { outDir: join(root, 'out/browser-vite'), emptyOutDir: true },
  });
}

const what = process.argv[2] ?? 'all';
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (what === 'demo' || what === 'all') await buildDemo();
  if (what === 'tests' || what === 'all') await buildTestPages();
}
