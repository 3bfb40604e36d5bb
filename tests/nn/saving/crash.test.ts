// tests/nn/saving/crash.test.ts — a save killed at every one of its steps (a real SIGKILL of a real
// process, not an exception that cleanup code could catch) leaves a loadable model at the path:
// the previous one or the new one, never a mix and never nothing. The next save then cleans up
// every leftover. The child runs the file-system half of save() (nn/saving/folder.ts, transpiled
// once to plain JavaScript here) on the bytes of the new model, and kills itself before step k.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ts from 'typescript';
import { Dense, Sequential, loadModel, setSeed, tensor } from '../../../index.js';
import { SAVE_STEPS } from '../../../nn/saving/folder.js';

const root = join(dirname(new URL(import.meta.url).pathname), '..', '..', '..');
let work: string;

/** The source files the child needs, as plain ES modules under `work/js` (same relative layout). */
function transpile(): string {
  const out = join(work, 'js');
  for (const file of ['nn/saving/folder.ts', 'files/read.ts', 'runtime/node-builtins.ts']) {
    const { outputText } = ts.transpileModule(readFileSync(join(root, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    mkdirSync(dirname(join(out, file)), { recursive: true });
    writeFileSync(join(out, file.replace(/\.ts$/, '.js')), outputText);
  }
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }');
  const child = join(out, 'child.js');
  writeFileSync(child, [
    "import { readFileSync } from 'node:fs';",
    "import { setSaveStepHook, writeModelFolder } from './nn/saving/folder.js';",
    'const [target, json, weights, k] = process.argv.slice(2);',
    "setSaveStepHook((step) => { if (step === Number(k)) process.kill(process.pid, 'SIGKILL'); });",
    'await writeModelFolder(target, { modelJson: readFileSync(json), weights: readFileSync(weights) });',
  ].join('\n'));
  return child;
}

/** Runs the child on `target`, killing itself before step k; resolves to the signal that ended it (or null). */
function saveKilledAt(target: string, jsonFile: string, weightsFile: string, k: number): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const run = spawn(process.execPath, [child, target, jsonFile, weightsFile, String(k)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    run.stderr.on('data', (chunk) => (stderr += chunk));
    run.on('error', reject);
    run.on('close', (_, signal) => resolve({ signal, stderr }));
  });
}

function model(seed: number): Sequential {
  setSeed(seed);
  const m = new Sequential([new Dense(5, { inputShape: [3], activation: 'relu' }), new Dense(2)]);
  m.compile({ optimizer: 'adam', loss: 'mse' });
  return m;
}

const x = tensor([[0.1, 0.2, 0.3], [1, -1, 0.5]]);
const outputs = (m: Sequential) => Array.from(m.predict(x).data);

let child: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'wasmgrad-crash-'));
  child = transpile();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a save killed at every step', () => {
  it(`leaves the previous or the new model loadable at the path, at each of the ${SAVE_STEPS.length + 1} kill points, and the next save cleans up`, async () => {
    const previous = model(1), next = model(2);
    const { modelJson, weights } = next.toArtifacts();
    const jsonFile = join(work, 'new-model.json'), weightsFile = join(work, 'new-weights.bin');
    writeFileSync(jsonFile, JSON.stringify(modelJson, null, 2) + '\n');
    writeFileSync(weightsFile, new Uint8Array(weights));
    const outcomes: string[] = [];
    const points = Array.from({ length: SAVE_STEPS.length + 1 }, (_, k) => k);
    const target = (k: number) => join(work, `model-${k}`);
    for (const k of points) await previous.save(target(k));
    // The children run at once (each on its own folder): a process start is most of their time.
    const runs = await Promise.all(points.map((k) => saveKilledAt(target(k), jsonFile, weightsFile, k)));
    for (const k of points) {
      // Killed before step k for k < steps; the last run completes.
      expect(runs[k].signal, `step ${k}: ${runs[k].stderr}`).toBe(k < SAVE_STEPS.length ? 'SIGKILL' : null);
      const loaded = await loadModel(target(k));
      const got = outputs(loaded);
      const which = JSON.stringify(got) === JSON.stringify(outputs(previous)) ? 'previous' : JSON.stringify(got) === JSON.stringify(outputs(next)) ? 'new' : 'neither';
      outcomes.push(`${k} ${SAVE_STEPS[k] ?? 'done'}: ${which}`);
      expect(which, outcomes.join('\n')).not.toBe('neither');
      // A later save of its own cleans every leftover: exactly the two files remain.
      await loaded.save(target(k));
      expect(readdirSync(target(k)).sort()).toEqual(['model.json', 'weights.bin']);
      expect(outputs(await loadModel(target(k)))).toEqual(got);
    }
    // The kill points really span the save: the early ones keep the previous model, the late ones the new.
    expect(outcomes[0]).toMatch(/previous$/);
    expect(outcomes[outcomes.length - 1]).toMatch(/new$/);
  });

  it('a first save killed at any step leaves either the new model or nothing that pretends to be one', async () => {
    const next = model(3);
    const { modelJson, weights } = next.toArtifacts();
    const jsonFile = join(work, 'first-model.json'), weightsFile = join(work, 'first-weights.bin');
    writeFileSync(jsonFile, JSON.stringify(modelJson));
    writeFileSync(weightsFile, new Uint8Array(weights));
    const points = Array.from({ length: SAVE_STEPS.length }, (_, k) => k);
    await Promise.all(points.map((k) => saveKilledAt(join(work, `first-${k}`), jsonFile, weightsFile, k)));
    for (const k of points) {
      const result = await loadModel(join(work, `first-${k}`)).then((m) => outputs(m), (error: Error) => error.message);
      if (typeof result === 'string') expect(result).toMatch(/no saved model|does not exist|unfinished save/);
      else expect(result).toEqual(outputs(next));
    }
  });
});
