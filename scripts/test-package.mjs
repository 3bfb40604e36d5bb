// scripts/test-package.mjs — `npm run test:package`: what a user gets from npm, tried as a user
// would. Packs the project (prepack builds it from clean), checks the tarball's file list, installs
// it offline into a new project, runs an ES-module script, type-checks a TypeScript file with
// `tsc --strict` (and checks that a misspelt loss name fails it), and loads it with require().
//
// Slow (a clean build and an install, about a minute), so it is its own command, not part of
// `npm test`. No network: `npm install --offline` takes the tarball and nothing else.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'wasmgrad-package-'));
const app = join(work, 'app');

function step(what) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);
}

/** Runs a command; returns { status, stdout, stderr } without throwing. */
function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

try {
  // ---- 1. pack --------------------------------------------------------------------------------
  step('npm pack (prepack: clean build)');
  const packed = run(npm, ['pack', '--json', '--pack-destination', work], root);
  assert.equal(packed.status, 0, `npm pack failed:\n${packed.stderr}`);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')));
  const tarball = join(work, info.filename);
  const files = info.files.map((f) => f.path).sort();

  // ---- 2. the tarball holds only what runs ------------------------------------------------------
  step(`checking the file list (${files.length} files, ${(info.unpackedSize / 1024).toFixed(0)} KiB unpacked)`);
  for (const needed of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/kernels/wasm-binary.js']) {
    assert.ok(files.includes(needed), `the tarball lacks ${needed}`);
  }
  // The library is dist/ (compiled .js and .d.ts) without the programs that use it.
  const allowed = /^(LICENSE|README\.md|CHANGELOG\.md|package\.json|dist\/.*\.(js|d\.ts))$/;
  const stray = files.filter((f) => !allowed.test(f) || /^dist\/(bench|examples|tests|scripts)\//.test(f));
  assert.deepEqual(stray, [], `files in the tarball that do not run: ${stray.join(', ')}`);
  assert.ok(!files.some((f) => f.endsWith('.map')), 'source maps point at .ts files that are not shipped');
  for (const js of files.filter((f) => f.endsWith('.js'))) {
    assert.ok(files.includes(js.replace(/\.js$/, '.d.ts')), `${js} has no declaration file`);
  }
  // sideEffects lets bundlers drop unused modules; a module imported only for what it does on import
  // (engine/methods.js, and the index files' plain imports that make bundlers await the kernels'
  // top-level await) must be listed, or a consumer's bundle loses it.
  const manifest = JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' }));
  assert.equal(manifest.scripts?.prepare, undefined, 'the published package.json still has a prepare script (npm warns consumers about it)');
  const globToRegExp = (glob) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  const sideEffects = manifest.sideEffects.map(globToRegExp);
  for (const js of files.filter((f) => f.endsWith('.js'))) {
    const source = execFileSync('tar', ['-xOzf', tarball, `package/${js}`], { encoding: 'utf8' });
    for (const [, target] of source.matchAll(/^import\s+['"](\.[^'"]+)['"]/gm)) {
      const path = `./${join(dirname(js), target)}`;
      assert.ok(sideEffects.some((pattern) => pattern.test(path)), `${js} imports ${target} for its side effects, but sideEffects does not list ${path}`);
    }
  }

  // ---- 3. install into a new project, offline ----------------------------------------------------
  step('npm install --offline into a new project');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const installed = run(npm, ['install', '--offline', '--no-audit', '--no-fund', tarball], app);
  assert.equal(installed.status, 0, `npm install failed:\n${installed.stderr}`);
  const warnings = (installed.stdout + installed.stderr).split('\n').filter((line) => /warn/i.test(line));
  assert.deepEqual(warnings, [], `npm install printed warnings:\n${warnings.join('\n')}`);

  // ---- 4. an ES-module script ---------------------------------------------------------------------
  step('an ES-module script trains, saves in both formats and loads');
  writeFileSync(join(app, 'train.mjs'), `
import { Sequential, Dense, layers, optimizers, callbacks, losses, utils, datasets, loadModel, setSeed, tensor } from 'wasmgrad';
import { Tensor } from 'wasmgrad/engine';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
setSeed(1);
// XOR-like: the class is whether x0 and x1 have the same sign.
const n = 64, x = new Float32Array(2 * n), y = new Float32Array(n);
for (let i = 0; i < n; i++) { x[2 * i] = (i % 2) - 0.5; x[2 * i + 1] = ((i >> 1) % 2) - 0.5; y[i] = x[2 * i] * x[2 * i + 1] > 0 ? 1 : 0; }
const model = new Sequential([new layers.Dense(8, { activation: 'relu', inputShape: [2] }), new Dense(2, { activation: 'softmax' })]);
model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const history = await model.fit(tensor(x, [n, 2]), tensor(y, [n]), { epochs: 60, batchSize: 16, verbose: 0, callbacks: [new callbacks.EarlyStopping({ monitor: 'loss', patience: 100 })] });
const folder = mkdtempSync(join(tmpdir(), 'consumer-'));
await model.save(join(folder, 'ours'));
await model.save(join(folder, 'tfjs'), { format: 'tfjs' });
const again = await loadModel(join(folder, 'ours'));
const fromTfjs = await loadModel(join(folder, 'tfjs', 'model.json'));
const p = model.predict(tensor(x, [n, 2])).data, q = again.predict(tensor(x, [n, 2])).data, r = fromTfjs.predict(tensor(x, [n, 2])).data;
const same = p.every((v, i) => v === q[i] && Math.abs(v - r[i]) < 1e-6);
console.log(JSON.stringify({
  accuracy: history.history.accuracy.at(-1), same, isTensor: p instanceof Float32Array && model.predict(tensor(x, [n, 2])) instanceof Tensor,
  oneHot: Array.from(utils.toCategorical([1, 0], 2).data), losses: typeof losses, datasets: typeof datasets.mnist.loadData,
}));
`);
  const script = run(process.execPath, ['train.mjs'], app);
  assert.equal(script.status, 0, `the ES-module script failed:\n${script.stderr}`);
  const result = JSON.parse(script.stdout.trim().split('\n').at(-1));
  assert.equal(result.same, true, 'the loaded models predict differently from the saved one');
  assert.ok(result.accuracy >= 0.9, `the model did not learn XOR: accuracy ${result.accuracy}`);
  assert.deepEqual(result.oneHot, [0, 1, 1, 0]);
  assert.equal(result.datasets, 'function');

  step('a browser bundle of the installed package (esbuild, one file) gets working classes');
  writeFileSync(join(app, 'bundled.mjs'), `
import { Sequential, layers, tensor } from 'wasmgrad';
const model = new Sequential([new layers.Dense(3, { inputShape: [2], activation: 'softmax' })]);
const p = model.predict(tensor([[1, 2]]));
console.log(JSON.stringify({ shape: p.shape, sum: p.data[0] + p.data[1] + p.data[2] }));
`);
  const { build } = await import(join(root, 'node_modules', 'esbuild', 'lib', 'main.js'));
  await build({ entryPoints: [join(app, 'bundled.mjs')], outfile: join(app, 'bundle.mjs'), bundle: true, format: 'esm', platform: 'browser', external: ['node:*'], logLevel: 'silent', absWorkingDir: app });
  const bundled = run(process.execPath, ['bundle.mjs'], app);
  assert.equal(bundled.status, 0, `the bundle failed:\n${bundled.stderr}`);
  const bundledResult = JSON.parse(bundled.stdout.trim());
  assert.deepEqual(bundledResult.shape, [1, 3]);
  assert.ok(Math.abs(bundledResult.sum - 1) < 1e-5, `the bundled model's softmax sums to ${bundledResult.sum}`);

  // ---- 5. tsc --strict over a TypeScript consumer -------------------------------------------------
  step('tsc --strict over a TypeScript file using the API');
  const tsconfig = { compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], types: [] }, files: ['main.ts'] };
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const program = (loss) => `
import { Sequential, layers, optimizers, callbacks, utils, loadModel, type CompileOptions, type FitOptions } from 'wasmgrad';
import { tensor, type Tensor } from 'wasmgrad/engine';
const model = new Sequential([
  new layers.Dense(16, { activation: 'relu', inputShape: [4], kernelInitializer: 'heNormal' }),
  new layers.Dropout(0.1),
  new layers.Dense(3, { activation: 'softmax' }),
]);
const compile: CompileOptions = { optimizer: new optimizers.Adam({ learningRate: 1e-3 }), loss: '${loss}', metrics: ['accuracy'] };
model.compile(compile);
const fit: FitOptions = { epochs: 1, batchSize: 8, verbose: 0, callbacks: [new callbacks.EarlyStopping({ patience: 2 })] };
const x: Tensor = tensor(new Float32Array(32), [8, 4]);
const y: Tensor = utils.toCategorical([0, 1, 2, 0, 1, 2, 0, 1], 3);
export async function main(): Promise<number> {
  await model.fit(x, y, fit);
  await model.save('out', { format: 'tfjs' });
  const again = await loadModel('out/model.json');
  return again.predict(x).shape[1];
}
`;
  writeFileSync(join(app, 'main.ts'), program('categorical_crossentropy'));
  const typed = run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
  assert.equal(typed.status, 0, `tsc --strict failed on a correct program:\n${typed.stdout}${typed.stderr}`);
  step('tsc --strict rejects a misspelt loss name');
  writeFileSync(join(app, 'main.ts'), program('categorical_crossentropyy'));
  const misspelt = run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
  assert.notEqual(misspelt.status, 0, 'tsc --strict accepted the loss name categorical_crossentropyy');
  assert.match(misspelt.stdout, /categorical_crossentropyy/, `tsc failed, but not on the loss name:\n${misspelt.stdout}`);

  // ---- 6. CommonJS --------------------------------------------------------------------------------
  // wasmgrad is an ES module without a top-level await, so Node >= 20.19 and >= 22.12 load it with
  // require(); older Node says itself to use import() instead (ERR_REQUIRE_ESM).
  step('require() loads it from CommonJS');
  writeFileSync(join(app, 'old.cjs'), "const { Sequential, layers } = require('wasmgrad');\nconst { tensor } = require('wasmgrad/engine');\nconst m = new Sequential([new layers.Dense(2, { inputShape: [3] })]);\nconsole.log(JSON.stringify(m.predict(tensor([[1, 2, 3]])).shape));\n");
  const required = run(process.execPath, ['old.cjs'], app);
  assert.equal(required.status, 0, `require('wasmgrad') failed:\n${required.stderr}`);
  assert.equal(required.stdout.trim(), '[1,2]');
  assert.equal(required.stderr.trim(), '', `require('wasmgrad') printed:\n${required.stderr}`);

  step('all package checks passed');
} finally {
  rmSync(work, { recursive: true, force: true });
}
