// kernels/index.ts — the one door to compute. The engine calls `gemm(...)` and friends from here
// (the element-wise kernels: optimizer updates, dropout, ReLU backward, bias sums, fill) and never
// knows which implementation answers; `setBackend` is the only place that chooses. Each export is
// made from the Kernels interface (kernels/types.ts), which states every signature and contract.
//
// Backends: 'wasm' (AssemblyScript compiled to WebAssembly SIMD, the default; its relaxed-SIMD FMA
// build is used automatically where the runtime validates it) and 'js' (kernels/reference.ts,
// the fallback and the test oracle).

import { referenceKernels } from './reference.js';
import { threadsReady } from './threads.js';
import * as wasm from './wasm.js';
import type { BackendName, Kernels } from './types.js';

export type { BackendName, GemmArgs, GemmCol2imArgs, Im2colGemmArgs, KernelName, Kernels } from './types.js';
export type { ConvKernels, WindowGeometry } from './conv-types.js';
export { alloc, free, heapF32, f32View, generation, memory, isShared, memoryStats, blockBytes, setMemoryLimit, withAllocationBudget } from './memory.js';
export type { MemoryStats } from './memory.js';
export { gemmReference, lowbias32, referenceKernels } from './reference.js';
export { createWasmKernels, wasmBuildValidates, wasmKernels, wasmUnavailableReason } from './wasm.js';
export type { WasmBuild } from './wasm.js';
export {
  getAdaptiveSplitting, getThreads, getThreadThreshold, setAdaptiveSplitting, setThreads, setThreadThreshold, threadsReady,
  threadsUnavailableReason,
} from './threads.js';
export { lastGemmDispatch, resetThreadStats, threadStats } from './thread-pool.js';
export type { GemmDispatch, ThreadStats } from './thread-pool.js';

// The backend in use; null only while the WASM kernels are still compiling on a page's main thread
// (kernels/wasm.ts), unless setBackend chose one meanwhile.
let current: Kernels | null = null;

// The kernels, one export per member of the Kernels interface (kernels/types.ts holds their
// contracts: C = relu?((accumulate ? C : 0) + op(A)·op(B) + bias) is `gemm`; the optimizer updates,
// dropout's forward and backward (mulInto), ReLU's backward, the bias gradient (columnSumsInto),
// fill and findNonFinite (NaN and ±Infinity) are the element-wise ones; im2col to
// batchNormBackwardInto are the convnet ones, stated in kernels/conv-types.ts). Each is the chosen backend's own function, typed by the
// interface: `bind` rebinds them all at once (ES module exports are live bindings, so every
// importer calls the new backend's), and a call costs nothing over calling the backend directly.
export let gemm: Kernels['gemm'];
export let im2colGemm: Kernels['im2colGemm'];
export let gemmCol2im: Kernels['gemmCol2im'];
export let adamUpdate: Kernels['adamUpdate'];
export let sgdUpdate: Kernels['sgdUpdate'];
export let rmspropUpdate: Kernels['rmspropUpdate'];
export let dropoutForward: Kernels['dropoutForward'];
export let mulInto: Kernels['mulInto'];
export let reluBackward: Kernels['reluBackward'];
export let columnSumsInto: Kernels['columnSumsInto'];
export let fill: Kernels['fill'];
export let findNonFinite: Kernels['findNonFinite'];
export let im2col: Kernels['im2col'];
export let col2imInto: Kernels['col2imInto'];
export let conv2dForward: Kernels['conv2dForward'];
export let conv2dKernelGradInto: Kernels['conv2dKernelGradInto'];
export let conv2dMaxPoolForward: Kernels['conv2dMaxPoolForward'];
export let conv2dMaxPoolKernelGradInto: Kernels['conv2dMaxPoolKernelGradInto'];
export let maxPoolForward: Kernels['maxPoolForward'];
export let maxPoolBackwardInto: Kernels['maxPoolBackwardInto'];
export let maxPoolReluBackward: Kernels['maxPoolReluBackward'];
export let avgPoolForward: Kernels['avgPoolForward'];
export let avgPoolBackwardInto: Kernels['avgPoolBackwardInto'];
export let columnMeanVariance: Kernels['columnMeanVariance'];
export let columnScaleShift: Kernels['columnScaleShift'];
export let columnCenteredSums: Kernels['columnCenteredSums'];
export let batchNormBackwardInto: Kernels['batchNormBackwardInto'];

/** What the exports are while the kernels are still loading: every one throws use()'s error. */
const stillLoading = Object.fromEntries(
  Object.keys(referenceKernels).map((name) => [name, () => void use()]),
) as unknown as Kernels;

/** Makes `kernels` the backend every export above calls (null: still loading). */
function bind(kernels: Kernels | null): void {
  current = kernels;
  ({
    gemm, im2colGemm, gemmCol2im, adamUpdate, sgdUpdate, rmspropUpdate, dropoutForward, mulInto, reluBackward, columnSumsInto, fill, findNonFinite,
    im2col, col2imInto, conv2dForward, conv2dKernelGradInto, conv2dMaxPoolForward, conv2dMaxPoolKernelGradInto, maxPoolForward, maxPoolBackwardInto, avgPoolForward, avgPoolBackwardInto,
    columnMeanVariance, columnScaleShift, columnCenteredSums, batchNormBackwardInto, maxPoolReluBackward,
  } = kernels ?? stillLoading);
}
bind(wasm.wasmSettled ? (wasm.wasmKernels ?? referenceKernels) : null);
const loading = wasm.wasmLoaded.then(() => {
  if (current === null) bind(wasm.wasmKernels ?? referenceKernels);
});

/**
 * Resolves when wasmgrad is ready to compute: the WebAssembly kernels compiled (the TypeScript
 * ones where the runtime lacks WebAssembly SIMD) and, where threads are possible, the worker
 * threads started. In Node and in Workers the kernels load while wasmgrad is imported, so this
 * only starts the threads early; on a page's main thread, where browsers compile large modules
 * only asynchronously, `await ready()` is needed once before the first computation.
 */
export async function ready(): Promise<void> {
  await loading;
  await threadsReady();
}

/** The kernels in use; a clear error while they are still loading on a page's main thread. */
function use(): Kernels {
  if (current === null) {
    throw new Error("wasmgrad: the WebAssembly kernels are still loading: call `await ready()` once before computing (a page's main thread compiles them asynchronously)");
  }
  return current;
}

/** Chooses the compute backend for everything that follows: 'wasm' (default) or 'js'. */
export function setBackend(name: BackendName): void {
  if (name === 'js') bind(referenceKernels);
  else if (name === 'wasm') {
    if (wasm.wasmKernels === null) {
      const why = wasm.wasmSettled ? wasm.wasmUnavailableReason : 'the kernels are still loading; `await ready()` first';
      throw new Error(`wasmgrad: the 'wasm' backend is unavailable here: ${why}`);
    }
    bind(wasm.wasmKernels);
  } else {
    throw new Error(`wasmgrad: setBackend expected 'wasm' or 'js', got ${JSON.stringify(name)}`);
  }
}

/** The name of the backend in use. */
export function getBackend(): BackendName {
  return use().name;
}

/** The kernels in use (for benchmarks and logs: `.description`). */
export function backend(): Kernels {
  return use();
}
