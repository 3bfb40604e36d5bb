// bench/index.ts — the benchmark runner behind `npm run bench`: runs each benchmark in turn and
// prints its table. Benchmarks measure and report; they never assert (tests do that).
//
// Run as `node --experimental-wasm-relaxed-simd dist/bench/index.js` (what `npm run bench` does)
// so that Node 20 can also time the relaxed-SIMD FMA build.

import { runGemmBench } from './gemm.js';

await runGemmBench();
