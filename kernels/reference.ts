// kernels/reference.ts — the plain TypeScript kernels: the fallback backend and the test oracle.
//
// Written for clarity, not speed: the WASM kernels must agree with these on every shape and flag.
// Same contract as kernels/types.ts (each function is typed by it, not retyped here); reads and
// writes the shared memory through one Float32Array.
// Holds the GEMM (and its implicit-im2col and implicit-col2im forms) and the element-wise kernels (optimizer updates, dropout, ReLU backward, bias sums,
// fill, the search for NaN and ±Infinity).

import { alloc, free, heapF32 } from './memory.js';
import { convReferenceKernels } from './conv-reference.js';
import type { Kernels } from './types.js';

/**
 * C[M,N] = relu?((accumulate ? C : 0) + op(A)[M,K] · op(B)[K,N] + bias[N]).
 * The i-k-j loop order streams rows of B and C when B is not transposed. Sums are float32 stores
 * into C after every k, so rounding differs slightly from the WASM kernel's register sums: tests
 * compare with a tolerance scaled by K.
 */
export const gemmReference: Kernels['gemm'] = (p) => {
  const heap = heapF32();
  const { M, N, K, lda, ldb, ldc, transA, transB } = p;
  const a = p.a >> 2, b = p.b >> 2, c = p.c >> 2, bias = p.bias >> 2;
  for (let i = 0; i < M; i++) {
    const cRow = c + i * ldc;
    if (!p.accumulate) for (let j = 0; j < N; j++) heap[cRow + j] = 0;
    for (let k = 0; k < K; k++) {
      const aik = transA ? heap[a + k * lda + i] : heap[a + i * lda + k];
      if (transB) {
        for (let j = 0; j < N; j++) heap[cRow + j] += aik * heap[b + j * ldb + k];
      } else {
        const bRow = b + k * ldb;
        for (let j = 0; j < N; j++) heap[cRow + j] += aik * heap[bRow + j];
      }
    }
    if (p.bias !== 0) for (let j = 0; j < N; j++) heap[cRow + j] += heap[bias + j];
    if (p.relu) for (let j = 0; j < N; j++) if (!(heap[cRow + j] > 0)) heap[cRow + j] = 0;
  }
};

// ---- element-wise kernels ------------------------------------------------------------------------
// Pointers are byte offsets: `p >> 2` is the index of the first float in heapF32(). The optimizer
// updates compute in float64 and round on every store into the Float32Array; the WASM kernels
// compute in float32, so the two agree within a few float32 roundings. The other kernels round the
// way float32 arithmetic does (Math.fround where float64 would keep more), so they agree to the bit.

/** Adam, Keras' form: m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²; w -= lrT·m / (sqrt(v) + eps). */
export const adamUpdateReference: Kernels['adamUpdate'] = (n, w, g, m, v, lrT, beta1, beta2, epsilon) => {
  const heap = heapF32();
  const W = w >> 2, G = g >> 2, Mo = m >> 2, V = v >> 2;
  for (let i = 0; i < n; i++) {
    const gi = heap[G + i];
    heap[Mo + i] = beta1 * heap[Mo + i] + (1 - beta1) * gi;
    heap[V + i] = beta2 * heap[V + i] + (1 - beta2) * gi * gi;
    heap[W + i] -= (lrT * heap[Mo + i]) / (Math.sqrt(heap[V + i]) + epsilon);
  }
};

/** SGD, Keras' form: w -= lr·g, or with a velocity: v = mu·v - lr·g; w += v (Nesterov: w += mu·v - lr·g). */
export const sgdUpdateReference: Kernels['sgdUpdate'] = (n, w, g, velocity, lr, momentum, nesterov) => {
  const heap = heapF32();
  const W = w >> 2, G = g >> 2, V = velocity >> 2;
  for (let i = 0; i < n; i++) {
    if (velocity === 0) {
      heap[W + i] -= lr * heap[G + i];
      continue;
    }
    heap[V + i] = momentum * heap[V + i] - lr * heap[G + i];
    heap[W + i] += nesterov ? momentum * heap[V + i] - lr * heap[G + i] : heap[V + i];
  }
};

/** RMSprop, Keras' form: ms = rho·ms + (1-rho)·g²; step = lr·g / sqrt(ms + eps); w -= step (or via mom). */
export const rmspropUpdateReference: Kernels['rmspropUpdate'] = (n, w, g, ms, mom, lr, rho, momentum, epsilon) => {
  const heap = heapF32();
  const W = w >> 2, G = g >> 2, S = ms >> 2, Mo = mom >> 2;
  for (let i = 0; i < n; i++) {
    heap[S + i] = rho * heap[S + i] + (1 - rho) * heap[G + i] * heap[G + i];
    const step = (lr * heap[G + i]) / Math.sqrt(heap[S + i] + epsilon);
    if (mom === 0) heap[W + i] -= step;
    else {
      heap[Mo + i] = momentum * heap[Mo + i] + step;
      heap[W + i] -= heap[Mo + i];
    }
  }
};

/** 2^32 / golden ratio: i·GOLDEN walks evenly around the 32-bit circle (a Weyl sequence). */
const GOLDEN = 0x9e3779b9;

/**
 * lowbias32 (Chris Wellons' hash prospector): a 32-bit integer hash, two multiplies and three
 * xor-shifts. Math.imul multiplies modulo 2^32 as the WASM i32.mul does; `>>> 0` reads the bits as unsigned.
 */
export function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Dropout's forward with a counter-based mask: keep element i when
 * lowbias32(seed ^ i·GOLDEN) >= floor(rate·2^32), i.e. with probability 1 - rate;
 * mask[i] = kept ? float32(1/(1-rate)) : 0 (mask 0: not written); out[i] = x[i]·mask[i].
 */
export const dropoutForwardReference: Kernels['dropoutForward'] = (n, x, out, mask, seed, rate) => {
  const heap = heapF32();
  const X = x >> 2, Out = out >> 2, Mask = mask >> 2;
  const threshold = Math.floor(rate * 4294967296);
  const scale = Math.fround(1 / (1 - rate));
  for (let i = 0; i < n; i++) {
    const multiplier = lowbias32(seed ^ Math.imul(i, GOLDEN)) >= threshold ? scale : 0;
    if (mask !== 0) heap[Mask + i] = multiplier;
    heap[Out + i] = heap[X + i] * multiplier;
  }
};

/** dx[i] += dout[i]·mask[i], the product rounded to float32 first (as the WASM kernel does). */
export const mulIntoReference: Kernels['mulInto'] = (n, dx, dout, mask) => {
  const heap = heapF32();
  const DX = dx >> 2, D = dout >> 2, Mask = mask >> 2;
  for (let i = 0; i < n; i++) heap[DX + i] += Math.fround(heap[D + i] * heap[Mask + i]);
};

/** dz[i] = y[i] > 0 ? dout[i]·scale : 0, the product rounded to float32. */
export const reluBackwardReference: Kernels['reluBackward'] = (n, dz, dout, y, scale = 1) => {
  const heap = heapF32();
  const Z = dz >> 2, D = dout >> 2, Y = y >> 2;
  const factor = Math.fround(scale);
  for (let i = 0; i < n; i++) heap[Z + i] = heap[Y + i] > 0 ? heap[D + i] * factor : 0;
};

/** db[j] += Σ_r dz[r, j], dz rows x cols (contiguous); each sum in row order, rounded at every step. */
export const columnSumsIntoReference: Kernels['columnSumsInto'] = (rows, cols, db, dz) => {
  const heap = heapF32();
  const B = db >> 2, Z = dz >> 2;
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) heap[B + j] += heap[Z + r * cols + j];
};

/** ptr[i] = value for i < n. */
export const fillReference: Kernels['fill'] = (n, ptr, value) => {
  heapF32().fill(value, ptr >> 2, (ptr >> 2) + n);
};

/** The first i < n with x[i] NaN or ±Infinity, or -1. */
export const findNonFiniteReference: Kernels['findNonFinite'] = (n, x) => {
  const heap = heapF32();
  const X = x >> 2;
  for (let i = 0; i < n; i++) if (!Number.isFinite(heap[X + i])) return i;
  return -1;
};

/**
 * The implicit-im2col GEMM spelled out: im2col into a scratch cols, gemmReference with A = cols,
 * the scratch freed (even when the GEMM throws).
 */
export const im2colGemmReference: Kernels['im2colGemm'] = (g, x, p) => {
  const rows = g.batch * g.outH * g.outW, depth = g.windowH * g.windowW * g.channels;
  const bytes = Math.max(4, rows * depth * 4);
  const cols = alloc(bytes);
  try {
    convReferenceKernels.im2col(g, x, cols);
    const [M, K] = p.transA ? [depth, rows] : [rows, depth];
    gemmReference({ ...p, M, K, a: cols, lda: depth });
  } finally {
    free(cols, bytes);
  }
};

/**
 * The implicit-col2im GEMM spelled out: gemmReference into a scratch dcols, dx zeroed (unless
 * accumulate), col2imInto, the scratch freed (even when the GEMM throws).
 */
export const gemmCol2imReference: Kernels['gemmCol2im'] = (g, dx, p) => {
  const rows = g.batch * g.outH * g.outW, depth = g.windowH * g.windowW * g.channels;
  const bytes = Math.max(4, rows * depth * 4);
  const dcols = alloc(bytes);
  try {
    gemmReference({ ...p, M: rows, N: depth, c: dcols, ldc: depth, bias: 0, relu: false, accumulate: false });
    if (!p.accumulate) fillReference(g.batch * g.height * g.width * g.channels, dx, 0);
    convReferenceKernels.col2imInto(g, dcols, dx);
  } finally {
    free(dcols, bytes);
  }
};

export const referenceKernels: Kernels = {
  name: 'js',
  description: 'TypeScript reference',
  gemm: gemmReference,
  im2colGemm: im2colGemmReference,
  gemmCol2im: gemmCol2imReference,
  adamUpdate: adamUpdateReference,
  sgdUpdate: sgdUpdateReference,
  rmspropUpdate: rmspropUpdateReference,
  dropoutForward: dropoutForwardReference,
  mulInto: mulIntoReference,
  reluBackward: reluBackwardReference,
  columnSumsInto: columnSumsIntoReference,
  fill: fillReference,
  findNonFinite: findNonFiniteReference,
  ...convReferenceKernels,
};
