// bench/gemm.ts — GFLOP/s of the GEMM kernels on the MNIST MLP's shapes (784-512-512-10, batch
// 128): the TypeScript reference, the simd128 mul+add build and, where the runtime validates it, the
// relaxed-SIMD FMA build, each on 1 and 2 threads, all timed in the same run; then the table behind
// the threading threshold in kernels/threads.ts. A measurement, not a test: nothing is asserted.
//
// The machine may be shared: 1- and 2-thread runs alternate, and each figure is the median of
// ROUNDS tinybench medians, so that a burst of someone else's work spreads over both columns.

import { Bench } from 'tinybench';
import { loadavg } from 'node:os';
import {
  alloc, free, getThreads, getThreadThreshold, heapF32, lastGemmDispatch, referenceKernels, setThreads, setThreadThreshold,
  threadsReady, threadsUnavailableReason, type GemmArgs, type Kernels,
} from '../kernels/index.js';
import { setAdaptiveSplitting } from '../kernels/threads.js';
import { createWasmKernels, wasmBuildValidates, type WasmBuild } from '../kernels/wasm.js';
import { median, printTable } from './table.js';

interface GemmShape {
  /** What this GEMM is in a training step of the MNIST MLP. */
  what: string;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  /** The epilogue the engine uses there: Dense forward = bias + ReLU, gradients accumulate. */
  bias: boolean;
  relu: boolean;
  accumulate: boolean;
}

const forward = { transA: false, transB: false, bias: true, relu: true, accumulate: false };
const weightGradient = { transA: true, transB: false, bias: false, relu: false, accumulate: true };
const inputGradient = { transA: false, transB: true, bias: false, relu: false, accumulate: true };

/** The MNIST MLP's GEMMs: op(A) is M x K, op(B) is K x N. */
export const SEED_MODEL_SHAPES: GemmShape[] = [
  { what: 'forward dense1  y = x·W', M: 128, N: 512, K: 784, ...forward },
  { what: 'forward dense2  y = x·W', M: 128, N: 512, K: 512, ...forward },
  { what: 'forward dense3  y = x·W', M: 128, N: 10, K: 512, ...forward },
  { what: 'backward dense1 dW = x^T·dy', M: 784, N: 512, K: 128, ...weightGradient },
  { what: 'backward dense2 dW = x^T·dy', M: 512, N: 512, K: 128, ...weightGradient },
  { what: 'backward dense2 dx = dy·W^T', M: 128, N: 512, K: 512, ...inputGradient },
  { what: 'backward dense3 dx = dy·W^T', M: 128, N: 512, K: 10, ...inputGradient },
];

/** Operands for one shape in the shared memory, filled with uniform [-1, 1) values. */
function allocateOperands(shape: GemmShape): { args: GemmArgs; release: () => void } {
  const { M, N, K } = shape;
  const blocks = [M * K, K * N, M * N, N].map((floats) => ({ bytes: Math.max(1, floats) * 4, ptr: 0 }));
  for (const block of blocks) {
    block.ptr = alloc(block.bytes);
    const heap = heapF32();
    for (let i = block.ptr >> 2; i < (block.ptr + block.bytes) >> 2; i++) heap[i] = Math.random() * 2 - 1;
  }
  const [a, b, c, bias] = blocks as [typeof blocks[0], typeof blocks[0], typeof blocks[0], typeof blocks[0]];
  const args: GemmArgs = {
    transA: shape.transA, transB: shape.transB, M, N, K,
    a: a.ptr, lda: shape.transA ? M : K, // stored A is M x K, or K x M when transposed
    b: b.ptr, ldb: shape.transB ? K : N, // stored B is K x N, or N x K when transposed
    c: c.ptr, ldc: N,
    bias: shape.bias ? bias.ptr : 0, relu: shape.relu, accumulate: shape.accumulate,
  };
  return { args, release: () => blocks.forEach((block) => free(block.ptr, block.bytes)) };
}

interface Contender {
  label: string;
  kernels: Kernels;
  /** The reference takes ~0.1-0.5 s per call: a few timed calls are enough for a median. */
  slow: boolean;
}

/** Median milliseconds per call of kernels.gemm(args), measured by tinybench. */
async function medianMilliseconds(contender: Contender, args: GemmArgs): Promise<number> {
  const bench = contender.slow
    ? new Bench({ time: 0, iterations: 3, warmupTime: 0, warmupIterations: 1 })
    : new Bench({ time: 250, iterations: 20, warmupTime: 100, warmupIterations: 10 }); // warmup reaches TurboFan
  bench.add(contender.label, () => contender.kernels.gemm(args));
  const [task] = await bench.run();
  const result = task!.result;
  if (result.state !== 'completed') throw new Error(`bench: ${contender.label} did not complete (${result.state})`);
  return result.latency.p50;
}

function gflops(shape: GemmShape, milliseconds: number): number {
  return (2 * shape.M * shape.N * shape.K) / (milliseconds * 1e6);
}

/** Each threaded figure is the median of this many alternating runs. */
const ROUNDS = 3;

/**
 * Median milliseconds of kernels.gemm(args) on each thread count in `threadCounts`, alternating
 * them ROUNDS times. Checks that each count really was used (a GEMM below the threshold is not split).
 */
async function threadedMilliseconds(contender: Contender, args: GemmArgs, threadCounts: number[]): Promise<number[]> {
  const samples: number[][] = threadCounts.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, threads] of threadCounts.entries()) {
      setThreads(threads);
      await threadsReady();
      samples[index]!.push(await medianMilliseconds(contender, args));
      const used = lastGemmDispatch().threads;
      if (used !== Math.min(threads, Math.ceil(args.M / 4))) {
        throw new Error(`bench: ${contender.label} ran on ${used} threads, expected ${threads}`);
      }
    }
  }
  return samples.map(median);
}

/** Runs the GEMM benchmark and prints two tables: the MNIST MLP's shapes, and the threading threshold. */
export async function runGemmBench(): Promise<void> {
  const builds: WasmBuild[] = wasmBuildValidates('relaxed') ? ['simd', 'relaxed'] : ['simd'];
  const reference: Contender = { label: 'reference', kernels: referenceKernels, slow: true };
  const wasm: Contender[] = [];
  for (const build of builds) {
    const kernels = await createWasmKernels(build);
    wasm.push({ label: build === 'simd' ? 'simd' : 'FMA', kernels, slow: false });
  }
  const defaultThreads = getThreads();
  const threadCounts = threadsUnavailableReason === '' ? [1, 2] : [1];
  // The split itself is timed here: a busy neighbour must not make the pool back off to one thread.
  setAdaptiveSplitting(false);

  console.log('GEMM: C = op(A)·op(B), op(A) M x K, op(B) K x N; GFLOP/s, medians of tinybench samples');
  console.log(`  reference     ${referenceKernels.description}, one thread`);
  for (const contender of wasm) console.log(`  ${contender.label.padEnd(13)} ${contender.kernels.description}`);
  if (!builds.includes('relaxed')) {
    console.log('  (relaxed FMA build not validated by this runtime: on Node 20 start through scripts/node.mjs, as npm run bench does)');
  }
  if (threadCounts.length === 1) console.log(`  (one thread only: ${threadsUnavailableReason})`);
  console.log(`  1T / 2T: 1 and 2 threads, alternated, median of ${ROUNDS} runs each; x = 2T over 1T. ` +
    `Default threads here: ${defaultThreads}. Load average before: ${loadavg()[0]!.toFixed(2)}`);

  const header = ['shape (M x N, K)', 'op', 'reference (ms)'];
  for (const contender of wasm) {
    for (const threads of threadCounts) header.push(`${contender.label} ${threads}T`);
    if (threadCounts.length > 1) header.push('x');
  }
  const rows: string[][] = [];
  for (const shape of SEED_MODEL_SHAPES) {
    const { args, release } = allocateOperands(shape);
    try {
      setThreads(1);
      const referenceMs = await medianMilliseconds(reference, args);
      const flags = `${shape.transA ? 'A^T' : 'A'}·${shape.transB ? 'B^T' : 'B'}`;
      const row = [
        `${shape.M} x ${shape.N}, K=${shape.K}`,
        `${shape.what} (${flags})`,
        `${gflops(shape, referenceMs).toFixed(1)} (${referenceMs.toFixed(0)})`,
      ];
      for (const contender of wasm) {
        const times = await threadedMilliseconds(contender, args, threadCounts);
        row.push(...times.map((ms) => gflops(shape, ms).toFixed(1)));
        if (times.length > 1) row.push(`${(times[0]! / times[1]!).toFixed(2)}`);
      }
      rows.push(row);
    } finally {
      release();
    }
  }
  printTable(header, rows);
  if (threadCounts.length > 1) await printThresholdTable(wasm[wasm.length - 1]!);
  console.log(`Load average after: ${loadavg()[0]!.toFixed(2)}`);
  setThreads(defaultThreads);
  setAdaptiveSplitting(true);
}

/**
 * Where 2 threads start to pay: square GEMMs (A·B + bias + ReLU) from M·N·K = 2^15 to 2^24, every
 * one forced onto 1 and onto 2 threads (threshold 0). kernels/threads.ts's threshold comes from here
 * (measured on an idle machine: on a busy one the 2T column only shows how busy it was).
 */
async function printThresholdTable(contender: Contender): Promise<void> {
  const sizes = [32, 40, 45, 51, 57, 64, 81, 102, 128, 256];
  const threshold = getThreadThreshold();
  setThreadThreshold(0);
  console.log(`\nThreading threshold, ${contender.label}: M = N = K = n, microseconds per GEMM (current threshold M·N·K >= ${threshold})`);
  const rows: string[][] = [];
  try {
    for (const n of sizes) {
      const shape: GemmShape = { what: 'square', M: n, N: n, K: n, ...forward };
      const { args, release } = allocateOperands(shape);
      try {
        const [one, two] = (await threadedMilliseconds(contender, args, [1, 2])) as [number, number];
        const work = n * n * n;
        rows.push([String(n), `${work} (2^${Math.log2(work).toFixed(1)})`, (one * 1000).toFixed(1), (two * 1000).toFixed(1), (one / two).toFixed(2)]);
      } finally {
        release();
      }
    }
  } finally {
    setThreadThreshold(threshold);
  }
  printTable(['n', 'M·N·K', '1T us', '2T us', '1T / 2T'], rows);
}
