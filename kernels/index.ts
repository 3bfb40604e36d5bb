// kernels/index.ts — the one door to compute. The engine calls `gemm(...)` and friends from here
// and never knows which implementation answers; `setBackend` is the only place that chooses.
//
// Backends: 'wasm' (AssemblyScript compiled to WebAssembly SIMD, the default; its relaxed-SIMD FMA
// build is used automatically where the runtime validates it) and 'js' (kernels/reference.ts,
// the fallback and the test oracle).

import { referenceKernels } from './reference.js';
import { wasmKernels, wasmUnavailableReason } from './wasm.js';
import type { BackendName, GemmArgs, Kernels } from './types.js';

export type { BackendName, GemmArgs, Kernels } from './types.js';
export { alloc, free, heapF32, f32View, generation, memory, isShared, memoryStats, sizeClassBytes } from './memory.js';
export type { MemoryStats } from './memory.js';
export { gemmReference, referenceKernels } from './reference.js';
export { wasmKernels, wasmUnavailableReason } from './wasm.js';

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

/** C = relu?((accumulate ? C : 0) + op(A)·op(B) + bias): see GemmArgs in kernels/types.ts. */
export function gemm(args: GemmArgs): void {
  current.gemm(args);
}
