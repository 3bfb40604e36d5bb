// kernels/index.ts — the one door to compute. The engine calls `gemm(...)` and friends from here
// (the element-wise kernels: optimizer updates, dropout, ReLU backward, bias sums, fill) and never
// knows which implementation answers; `setBackend` is the only place that chooses. Each export is
// typed by the Kernels interface (kernels/types.ts), which states every signature and contract.
//
// Backends: 'wasm' (AssemblyScript compiled to WebAssembly SIMD, the default; its relaxed-SIMD FMA
// build is used automatically where the runtime validates it) and 'js' (kernels/reference.ts,
// the fallback and the test oracle).

import { referenceKernels } from './reference.js';
import { wasmKernels, wasmUnavailableReason } from './wasm.js';
import type { BackendName, Kernels } from './types.js';

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

// The kernels, one export per member of the Kernels interface (kernels/types.ts holds their
// contracts: C = relu?((accumulate ? C : 0) + op(A)·op(B) + bias) is `gemm`; the optimizer updates,
// dropout's forward and backward (mulInto), ReLU's backward, the bias gradient (columnSumsInto)
// and fill are the element-wise ones). Each is the chosen backend's own function, typed by the
// interface: `use` rebinds them all at once (ES module exports are live bindings, so every
// importer calls the new backend's), and a call costs nothing over calling the backend directly.
export let gemm: Kernels['gemm'];
export let adamUpdate: Kernels['adamUpdate'];
export let sgdUpdate: Kernels['sgdUpdate'];
export let rmspropUpdate: Kernels['rmspropUpdate'];
export let dropoutForward: Kernels['dropoutForward'];
export let mulInto: Kernels['mulInto'];
export let reluBackward: Kernels['reluBackward'];
export let columnSumsInto: Kernels['columnSumsInto'];
export let fill: Kernels['fill'];

/** Makes `kernels` the backend every export above calls. */
function use(kernels: Kernels): void {
  current = kernels;
  ({ gemm, adamUpdate, sgdUpdate, rmspropUpdate, dropoutForward, mulInto, reluBackward, columnSumsInto, fill } = kernels);
}
use(current);

/** Chooses the compute backend for everything that follows: 'wasm' (default) or 'js'. */
export function setBackend(name: BackendName): void {
  if (name === 'js') use(referenceKernels);
  else if (name === 'wasm') {
    if (wasmKernels === null) {
      throw new Error(`wasmgrad: the 'wasm' backend is unavailable here: ${wasmUnavailableReason}`);
    }
    use(wasmKernels);
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
