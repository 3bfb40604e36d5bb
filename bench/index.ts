// bench/index.ts — the benchmark runner behind `npm run bench`: runs each benchmark in turn and
// prints its table. Benchmarks measure and report; they never assert (tests do that).
//
// Run as `node scripts/node.mjs dist/bench/index.js [gemm|step|training|yield|convnet|versus|neighbour [ab|recover]]` (what
// `npm run bench` and `npm run bench:<name>` do): the launcher adds --experimental-wasm-relaxed-simd
// on Node 20 so that it can also time the relaxed-SIMD FMA build (Node >= 22 has it on). With a
// name, only that benchmark runs.

import { runConvnetBench } from './convnet.js';
import { runFitYieldBench } from './fit-yield.js';
import { runGemmBench } from './gemm.js';
import { runNeighbourBench, runNeighbourRecoveryBench } from './neighbour.js';
import { runStepBench } from './step.js';
import { runTrainingBench } from './training.js';
import { runVersusBench } from './versus.js';

const only = process.argv[2];
const names = ['gemm', 'step', 'training', 'yield', 'convnet', 'versus', 'neighbour'];
if (only !== undefined && !names.includes(only)) {
  throw new Error(`bench: expected 'gemm', 'step', 'training', 'yield', 'convnet', 'versus' or 'neighbour' (or nothing for all), got ${JSON.stringify(only)}`);
}
if (only === undefined || only === 'gemm') await runGemmBench();
if (only === undefined || only === 'step') await runStepBench();
if (only === undefined || only === 'training') await runTrainingBench();
if (only === undefined || only === 'yield') await runFitYieldBench();
if (only === undefined || only === 'convnet') await runConvnetBench();
if (only === undefined || only === 'versus') await runVersusBench();
// Not part of a whole run: it starts a busy process of its own to compete with.
if (only === 'neighbour' && process.argv[3] === 'recover') await runNeighbourRecoveryBench();
else if (only === 'neighbour') await runNeighbourBench(process.argv[3] === 'ab');
