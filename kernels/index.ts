// kernels/index.ts — the one door to compute. The engine calls `gemm(...)` and friends from here
// (the element-wise kernels: optimizer updates, dropout, ReLU backward, bias sums, fill) and never
// knows which implementation answers; `setBackend` is the only place that chooses. Each export is
// made from the Kernels interface (kernels/types.ts), which states every signature and contract.
//
// Backends: 'wasm' (AssemblyScript compiled to WebAssembly SIMD, the default; its relaxed-SIMD FMA
// build is used automatically where the runtime validates it) and 'js' (kernels/reference.ts,
// the fallback and the test oracle).

import { referenceKernels } from './reference.js';
import { wasmKernels, wasmUnavailableReason } from './wasm.js';
import type { BackendName, KernelName, Kernels } from './types.js';

export type { BackendName, GemmArgs, KernelName, Kernels } from './types.js';
export { alloc, free, heapF32, f32View, generation, memory, isShared, memoryStats, blockBytes, setMemoryLimit, withAllocationBudget } from './memory.js';
export type { MemoryStats } from './memory.js';
export { gemmReference, lowbias32, referenceKernels } from './reference.js';
export { wasmKernels, wasmUnavailableReason } from './wasm.js';
export {
  getThreads, getThreadThreshold, setThreads, setThreadThreshold, threadsReady, threadsUnavailableReason,
} from './threads.js';
export { lastGemmDispatch } from './thread-pool.js';
export type { GemmDispatch } from './thread-pool.js';

let current: Kernels = wasmKernels ?? referenceKernels;

/** Chooses the compute backend for everything that follows: 'wasm' (default) or 'js'. */
export function setBackend(name: BackendName): void {
  if (name === 'js') current = referenceKernels;
  else if (name === 'wasm') {
    if (wasmKernels === null) {
      throw new Error(`wasmgrad: the 'wasm' backend is unavailable here: ${wasmUnavailableReason}`);
    }
    current = wasmKernels;
  } else {
    throw new Error(`wasmgrad: setBackend expected 'wasm' or 'js', got ${JSON.stringify(name)}`);
  }
}

/** The name of the backend in use. */
export function getBackend(): BackendName {
  return current.name;
}

/** The kernels in use (for benchmarks and logs: `.description`). */
export function backend(): Kernels {
  return current;
}

/** A function with kernel `name`'s signature that calls the backend in use at the time of the call. */
function dispatch<K extends KernelName>(name: K): Kernels[K] {
  const call = (...args: unknown[]): void => (current[name] as (...args: unknown[]) => void)(...args);
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
// (columnSumsInto) and fill are the element-wise ones.
export const {
  gemm, adamUpdate, sgdUpdate, rmspropUpdate, dropoutForward, mulInto, reluBackward, columnSumsInto, fill,
} = dispatched;
