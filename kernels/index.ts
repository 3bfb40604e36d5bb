// kernels/index.ts — the one door to compute. The engine calls `gemm(...)` and friends from here
// (the element-wise kernels: optimizer updates, dropout, ReLU backward, bias sums, fill; the convnet
// kernels: im2col, col2im, pooling, batch-norm sums) and never
// knows which implementation answers; `setBackend` is the only place that chooses. Each export is
// made from the Kernels interface (kernels/types.ts), which states every signature and contract.
//
// Backends: 'wasm' (AssemblyScript compiled to WebAssembly SIMD, the default; its relaxed-SIMD FMA
// build is used automatically where the runtime validates it) and 'js' (kernels/reference.ts,
// the fallback and the test oracle).

import { referenceKernels } from './reference.js';
import { threadsReady } from './threads.js';
import * as wasm from './wasm.js';
import type { BackendName, KernelName, Kernels } from './types.js';

export type { BackendName, GemmArgs, KernelName, Kernels } from './types.js';
export type { ConvKernels, WindowGeometry } from './conv-types.js';
export { alloc, free, heapF32, f32View, generation, memory, isShared, memoryStats, blockBytes, setMemoryLimit, withAllocationBudget } from './memory.js';
export type { MemoryStats } from './memory.js';
export { gemmReference, lowbias32, referenceKernels } from './reference.js';
export { createWasmKernels, wasmBuildValidates, wasmKernels, wasmUnavailableReason } from './wasm.js';
export type { WasmBuild } from './wasm.js';
export {
  getThreads, getThreadThreshold, setThreads, setThreadThreshold, threadsReady, threadsUnavailableReason,
} from './threads.js';
export { lastGemmDispatch } from './thread-pool.js';
export type { GemmDispatch } from './thread-pool.js';

// The backend in use; null only while the WASM kernels are still compiling on a page's main thread
// (kernels/wasm.ts), unless setBackend chose one meanwhile.
let current: Kernels | null = wasm.wasmSettled ? (wasm.wasmKernels ?? referenceKernels) : null;
const loading = wasm.wasmLoaded.then(() => {
  current ??= wasm.wasmKernels ?? referenceKernels;
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
  if (name === 'js') current = referenceKernels;
  else if (name === 'wasm') {
    if (wasm.wasmKernels === null) {
      const why = wasm.wasmSettled ? wasm.wasmUnavailableReason : 'the kernels are still loading; `await ready()` first';
      throw new Error(`wasmgrad: the 'wasm' backend is unavailable here: ${why}`);
    }
    current = wasm.wasmKernels;
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

/** A function with kernel `name`'s signature that calls the backend in use at the time of the call. */
function dispatch<K extends KernelName>(name: K): Kernels[K] {
  const call = (...args: unknown[]): void => (use()[name] as (...args: unknown[]) => void)(...args);
  return call as Kernels[K];
}

/** Every kernel, each dispatched to the backend in use: one entry per name of the Kernels interface. */
const dispatched = Object.fromEntries(
  (Object.keys(referenceKernels) as (keyof Kernels)[])
    .filter((name): name is KernelName => typeof referenceKernels[name] === 'function')
    .map((name) => [name, dispatch(name)]),
) as { [K in KernelName]: Kernels[K] };

// The contracts (what each computes, shapes, rounding) are on the Kernels interface in
// kernels/types.ts: C = relu?((accumulate ? C : 0) + op(A)·op(B) + bias) is `gemm`; the optimizer
// updates, dropout's forward and backward (mulInto), ReLU's backward, the bias gradient
// (columnSumsInto) and fill are the element-wise ones; im2col to batchNormBackwardInto are the
// convnet ones (kernels/conv-types.ts).
export const {
  gemm, adamUpdate, sgdUpdate, rmspropUpdate, dropoutForward, mulInto, reluBackward, columnSumsInto, fill,
  im2col, col2imInto, maxPoolForward, maxPoolBackwardInto, avgPoolForward, avgPoolBackwardInto,
  columnMeanVariance, columnScaleShift, columnCenteredSums, batchNormBackwardInto,
} = dispatched;
