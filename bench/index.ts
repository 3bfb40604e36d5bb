// bench/index.ts — the benchmark runner behind `npm run bench`: runs each benchmark in turn and
// prints its table. Benchmarks measure and report; they never assert (tests do that).
//
// Run as `node scripts/node.mjs dist/bench/index.js [gemm|step|training|yield]` (what `npm run
// bench`, `npm run bench:step` and `npm run bench:training` do): the launcher adds
// --experimental-wasm-relaxed-simd on Node 20 so that it can also time the relaxed-SIMD FMA build
// (Node >= 22 has it on). With a name, only that benchmark runs.

import { runFitYieldBench } from './fit-yield.js';
import { runGemmBench } from './gemm.js';
import { runStepBench } from './step.js';
import { runTrainingBench } from './training.js';

const only = process.argv[2];
if (only !== undefined && only !== 'gemm' && only !== 'step' && only !== 'training' && only !== 'yield') {
  throw new Error(`bench: expected 'gemm', 'step', 'training' or 'yield' (or nothing for all), got ${JSON.stringify(only)}`);
}
if (only === undefined || only === 'gemm') await runGemmBench();
if (only === undefined || only === 'step') await runStepBench();
if (only === undefined || only === 'training') await runTrainingBench();
if (only === undefined || only === 'yield') await runFitYieldBench();
