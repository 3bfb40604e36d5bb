// bench/gemm.ts — GFLOP/s of the GEMM kernels on the seed model's shapes (784-512-512-10, batch
// 128): the TypeScript reference, the simd128 mul+add build and, where the runtime validates it, the
// relaxed-SIMD FMA build, all timed in the same run. A measurement, not a test: nothing is asserted.

import { Bench } from 'tinybench';
import { alloc, free, heapF32, referenceKernels, type GemmArgs, type Kernels } from '../kernels/index.js';
import { createWasmKernels, wasmBuildValidates, type WasmBuild } from '../kernels/wasm.js';

interface GemmShape {
  /** What this GEMM is in a training step of the seed model. */
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

/** The seed model's GEMMs: op(A) is M x K, op(B) is K x N. */
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

/** Runs the GEMM benchmark and prints a table: median ms, GFLOP/s, and speed-up over the reference. */
export async function runGemmBench(): Promise<void> {
  const builds: WasmBuild[] = wasmBuildValidates('relaxed') ? ['simd', 'relaxed'] : ['simd'];
  const contenders: Contender[] = [{ label: 'reference', kernels: referenceKernels, slow: true }];
  for (const build of builds) {
    const kernels = await createWasmKernels(build);
    contenders.push({ label: build === 'simd' ? 'simd mul+add' : 'relaxed FMA', kernels, slow: false });
  }

  console.log('GEMM, one thread: C = op(A)·op(B), op(A) M x K, op(B) K x N; median of tinybench samples');
  for (const contender of contenders) console.log(`  ${contender.label.padEnd(13)} ${contender.kernels.description}`);
  if (!builds.includes('relaxed')) {
    console.log('  (relaxed FMA build not validated by this runtime: on Node 20 run with --experimental-wasm-relaxed-simd)');
  }

  const header = ['shape (M x N, K)', 'op', ...contenders.map((c) => `${c.label} GFLOP/s (ms)`), ...contenders.slice(1).map((c) => `${c.label} / ref`)];
  const rows: string[][] = [];
  for (const shape of SEED_MODEL_SHAPES) {
    const { args, release } = allocateOperands(shape);
    try {
      const times: number[] = [];
      for (const contender of contenders) times.push(await medianMilliseconds(contender, args));
      const flags = `${shape.transA ? 'A^T' : 'A'}·${shape.transB ? 'B^T' : 'B'}`;
      rows.push([
        `${shape.M} x ${shape.N}, K=${shape.K}`,
        `${shape.what} (${flags})`,
        ...times.map((ms) => `${gflops(shape, ms).toFixed(1)} (${ms < 1 ? ms.toFixed(3) : ms.toFixed(1)})`),
        ...times.slice(1).map((ms) => `${(times[0]! / ms).toFixed(0)}x`),
      ]);
    } finally {
      release();
    }
  }
  printTable(header, rows);
}

/** A Markdown table with padded columns: readable in a terminal and pasteable into notes. */
function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`);
  for (const row of rows) console.log(line(row));
}
