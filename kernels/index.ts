// kernels/index.ts — the one door to compute. The engine calls `gemm(...)` and friends from here
// (the element-wise kernels: optimizer updates, dropout, ReLU backward, bias sums, fill) and never
// knows which implementation answers; `setBackend` is the only place that chooses.
//
// Backends: 'wasm' (AssemblyScript compiled to WebAssembly SIMD, the default; its relaxed-SIMD FMA
// build is used automatically where the runtime validates it) and 'js' (kernels/reference.ts,
// the fallback and the test oracle).

import { referenceKernels } from './reference.js';
import { threadsReady } from './threads.js';
import * as wasm from './wasm.js';
import type { BackendName, GemmArgs, Kernels } from './types.js';

export type { BackendName, GemmArgs, Kernels } from './types.js';
export { alloc, free, heapF32, f32View, generation, memory, isShared, memoryStats, sizeClassBytes } from './memory.js';
export type { MemoryStats } from './memory.js';
export { gemmReference, lowbias32, referenceKernels } from './reference.js';
export { createWasmKernels, wasmBuildValidates, wasmKernels, wasmUnavailableReason } from './wasm.js';
export type { WasmBuild } from './wasm.js';
export {
  getThreads, getThreadThreshold, lastGemmDispatch, setThreads, setThreadThreshold, threadsReady, threadsUnavailableReason,
} from './threads.js';
export type { GemmDispatch } from './threads.js';

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

/** C = relu?((accumulate ? C : 0) + op(A)·op(B) + bias): see GemmArgs in kernels/types.ts. */
export function gemm(args: GemmArgs): void {
  use().gemm(args);
}

// The element-wise kernels. Pointers are byte offsets, counts are floats; the full contracts are
// on the Kernels interface in kernels/types.ts.

/** Adam, Keras' form, in place: m, v updated from g; w -= lrT·m / (sqrt(v) + epsilon). */
export function adamUpdate(n: number, w: number, g: number, m: number, v: number, lrT: number, beta1: number, beta2: number, epsilon: number): void {
  use().adamUpdate(n, w, g, m, v, lrT, beta1, beta2, epsilon);
}

/** SGD, Keras' form, in place: w -= lr·g, or through a velocity (0 for none), optionally Nesterov. */
export function sgdUpdate(n: number, w: number, g: number, velocity: number, lr: number, momentum: number, nesterov: boolean): void {
  use().sgdUpdate(n, w, g, velocity, lr, momentum, nesterov);
}

/** RMSprop, Keras' form, in place: ms updated from g; w -= lr·g / sqrt(ms + epsilon), or through mom (0 for none). */
export function rmspropUpdate(n: number, w: number, g: number, ms: number, mom: number, lr: number, rho: number, momentum: number, epsilon: number): void {
  use().rmspropUpdate(n, w, g, ms, mom, lr, rho, momentum, epsilon);
}

/** mask[i] = 0 or 1/(1 - rate) from a hash of (seed, i); out[i] = x[i]·mask[i]. */
export function dropoutForward(n: number, x: number, out: number, mask: number, seed: number, rate: number): void {
  use().dropoutForward(n, x, out, mask, seed, rate);
}

/** dx[i] += dout[i]·mask[i]. */
export function mulInto(n: number, dx: number, dout: number, mask: number): void {
  use().mulInto(n, dx, dout, mask);
}

/** dz[i] = y[i] > 0 ? dout[i] : 0. */
export function reluBackward(n: number, dz: number, dout: number, y: number): void {
  use().reluBackward(n, dz, dout, y);
}

/** db[j] += Σ_r dz[r, j], dz a contiguous rows x cols matrix. */
export function columnSumsInto(rows: number, cols: number, db: number, dz: number): void {
  use().columnSumsInto(rows, cols, db, dz);
}

/** ptr[i] = value for i < n. */
export function fill(n: number, ptr: number, value: number): void {
  use().fill(n, ptr, value);
}
