// bench/step.ts — where a training step's time goes: forward GEMMs, backward GEMMs, the other
// element-wise kernels, the gradients' checks for NaN and ±Infinity, the optimizer update, garbage
// collection, and the JavaScript around them (graph building, batch gathering, input checks), in
// ms per step, for the MNIST MLP and the Fashion model on 1 and 2 threads. A measurement, not a
// test: nothing is asserted.
//
// How: every kernel of the backend in use is wrapped in a timer (and setBackend re-binds
// kernels/index.ts' exports to the wrapped functions); garbage collection pauses come from Node's
// PerformanceObserver 'gc' entries; "JS" is what remains of the step's wall time. A GEMM that runs
// inside Tensor.backward is a backward GEMM, any other a forward one. The timers cost ~0.1 us a
// call, a few dozen calls a step.

import { PerformanceObserver } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { Tensor, datasets, toCategorical } from '../index.js';
import * as kernels from '../kernels/index.js';
import type { Kernels } from '../kernels/index.js';

type KernelName = Exclude<keyof Kernels, 'name' | 'description'>;
import { printMachine, printTable } from './table.js';
import { MODELS, type ModelSpec } from './training.js';

type Phase = 'forward GEMMs' | 'backward GEMMs' | 'element-wise' | 'NaN checks' | 'optimizer' | 'GC' | 'JS and the rest';
const PHASES: Phase[] = ['forward GEMMs', 'backward GEMMs', 'element-wise', 'NaN checks', 'optimizer', 'GC', 'JS and the rest'];

const OPTIMIZER_KERNELS: KernelName[] = ['adamUpdate', 'sgdUpdate', 'rmspropUpdate'];

/** The steps timed per model (after a warm-up of a tenth as many): about the same time for both. */
const TIMED_STEPS: Record<string, number> = { 128: 150, 32: 900 };

/** Milliseconds spent per phase while `totals` is being filled. */
type Totals = Record<Phase, number>;

function zeroTotals(): Totals {
  return Object.fromEntries(PHASES.map((phase) => [phase, 0])) as Totals;
}

/** GEMMs of the timed steps, and how many of them ran on more than one thread. */
interface GemmCounts {
  gemms: number;
  split: number;
}

/**
 * Wraps every kernel of `backend` in a timer adding to `totals` (and counts the GEMMs the pool
 * split in `counts`); returns the function that unwraps them.
 */
function instrument(backend: Kernels, totals: Totals, counts: GemmCounts): () => void {
  const original = { ...backend };
  const target = backend as unknown as Record<string, unknown>;
  let inBackward = false;
  const backward = Tensor.prototype.backward;
  Tensor.prototype.backward = function (this: Tensor, grad?: Tensor) {
    inBackward = true;
    try {
      backward.call(this, grad);
    } finally {
      inBackward = false;
    }
  };
  for (const name of Object.keys(original) as (keyof Kernels)[]) {
    const kernel = original[name];
    if (typeof kernel !== 'function') continue;
    const call = kernel as (...args: unknown[]) => unknown;
    const isGemm = name === 'gemm';
    const fixedPhase: Phase = OPTIMIZER_KERNELS.includes(name as KernelName) ? 'optimizer' : name === 'findNonFinite' ? 'NaN checks' : 'element-wise';
    target[name] = (...args: unknown[]) => {
      const started = performance.now();
      const result = call(...args); // findNonFinite answers with an index
      const phase = isGemm ? (inBackward ? 'backward GEMMs' : 'forward GEMMs') : fixedPhase;
      totals[phase] += performance.now() - started;
      if (isGemm) {
        counts.gemms++;
        if (kernels.lastGemmDispatch().threads > 1) counts.split++;
      }
      return result;
    };
  }
  kernels.setBackend(kernels.getBackend()); // re-binds kernels/index.ts' exports to the wrappers
  return () => {
    Object.assign(backend, original);
    Tensor.prototype.backward = backward;
    kernels.setBackend(kernels.getBackend());
  };
}

/** Trains `steps` batches of `model` (after a warm-up) and returns ms per step by phase, and the pool's split statistics. */
async function breakdown(spec: ModelSpec, x: Tensor, y: Tensor): Promise<{ perStep: Totals; stepMs: number; counts: GemmCounts; steps: number; pool: kernels.ThreadStats }> {
  const model = spec.wasmgrad();
  const steps = TIMED_STEPS[spec.batchSize] ?? 200;
  const fit = (steps: number) => model.fit(x.sliceRows(0, steps * spec.batchSize), y.sliceRows(0, steps * spec.batchSize), {
    batchSize: spec.batchSize, epochs: 1, verbose: 0,
  });
  await fit(Math.ceil(steps / 10)); // warm-up: tier-up, the allocator's free lists, workers started

  const totals = zeroTotals();
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const counts: GemmCounts = { gemms: 0, split: 0 };
  const restore = instrument(kernels.backend(), totals, counts);
  kernels.resetThreadStats();
  const started = performance.now();
  try {
    await fit(steps);
  } finally {
    restore();
  }
  const wallMs = performance.now() - started;
  const pool = kernels.threadStats();
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the observer deliver the last entries
  observer.disconnect();
  totals.GC = gcMs;
  const measured = PHASES.filter((phase) => phase !== 'JS and the rest').reduce((sum, phase) => sum + totals[phase], 0);
  totals['JS and the rest'] = Math.max(0, wallMs - measured);
  const perStep = zeroTotals();
  for (const phase of PHASES) perStep[phase] = totals[phase] / steps;
  return { perStep, stepMs: wallMs / steps, counts, steps, pool };
}

/** Runs the step breakdown and prints its table: one row per (model, threads), one column per phase. */
export async function runStepBench(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const [[images, labels]] = await datasets.mnist.loadData();
  const pixels = images.div(255);
  const defaultThreads = kernels.getThreads();
  const counts = kernels.threadsUnavailableReason === '' ? [1, 2] : [1];
  const rows: string[][] = [];
  for (const spec of MODELS) {
    const x = pixels.reshape([pixels.shape[0]!, ...spec.inputShape]);
    const y = spec.sparseLabels ? labels : toCategorical(labels, 10);
    for (const threads of counts) {
      kernels.setThreads(threads);
      await kernels.threadsReady();
      const cpuStarted = process.cpuUsage();
      const wallStarted = performance.now();
      const { perStep, stepMs, counts, steps, pool } = await breakdown(spec, x, y);
      const cpu = process.cpuUsage(cpuStarted);
      const cpuPerWall = (cpu.user + cpu.system) / 1000 / (performance.now() - wallStarted);
      rows.push([
        `${spec.name}, batch ${spec.batchSize}`,
        `${threads}`,
        stepMs.toFixed(2),
        ...PHASES.map((phase) => `${perStep[phase].toFixed(2)} (${((100 * perStep[phase]) / stepMs).toFixed(0)}%)`),
        cpuPerWall.toFixed(2),
        `${counts.split}/${counts.gemms} (${pool.backedOffGemms})`,
        `${(pool.mainWaitMilliseconds / steps).toFixed(2)} / ${(pool.workerIdleMilliseconds / steps).toFixed(2)}`,
      ]);
    }
  }
  kernels.setThreads(defaultThreads);
  console.log(`\nOne training step by phase, ms per step (share of the step) (${new Date().toISOString().slice(0, 10)})`);
  printMachine(loadBefore);
  console.log(`  wasmgrad  ${kernels.backend().description}; model.fit with Adam, after a warm-up fit`);
  printTable(['model', 'threads', 'step ms', ...PHASES, 'cpu/wall', 'GEMMs split (paused)', 'waits ms main / worker'], rows);
  console.log('forward GEMMs: Dense outputs (bias and ReLU fused); backward GEMMs: dx and dW; element-wise: dropout,');
  console.log('ReLU and bias gradients, gradient zeroing; NaN checks: the search for NaN and ±Infinity in the gradients');
  console.log('before each update; optimizer: the update kernels; GC: garbage-collection pauses of');
  console.log('the main thread; JS and the rest: the step\'s wall time minus all of those (graph, batches, loss, checks).');
  console.log('GEMMs split: of the timed steps\' GEMMs, those the pool ran on more than one thread (small ones never are;');
  console.log('in parentheses, those adaptive splitting ran alone: after splits of their size that lost to one thread, or while');
  console.log('the judge of whole runs found the main thread alone faster, e.g. beside a busy neighbour: `npm run bench:neighbour`).');
  console.log('waits: per step, the main thread waiting for the workers\' pieces after its own, and a worker done with its');
  console.log('pieces while the main thread still computed its own (kernels\' threadStats()): the cost of unequal pieces or speeds.');
}
