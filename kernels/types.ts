// kernels/types.ts — the contract between the engine and whatever computes: one interface, stated
// once here, and followed without retyping by its two implementations (kernels/reference.ts in plain
// TypeScript, kernels/wasm.ts in WebAssembly SIMD) and by the dispatcher (kernels/index.ts).
//
// Everything here speaks in pointers (byte offsets into kernels/memory.ts's memory), element
// counts and leading dimensions. Nothing here knows what a Tensor is. The convnet kernels (im2col,
// pooling, batch-norm sums) are stated in kernels/conv-types.ts and are part of Kernels too.

import type { ConvKernels, WasmConvExports, WindowGeometry } from './conv-types.js';

/**
 * GEMM: C = relu?( (accumulate ? C : 0) + op(A) · op(B) + bias )
 *
 *   op(A) is M x K: A itself (row-major, row stride lda) or, with transA, the transpose of a K x M A.
 *   op(B) is K x N: B itself (row-major, row stride ldb) or, with transB, the transpose of an N x K B.
 *   C     is M x N, row-major with row stride ldc.
 *   bias  is N floats added to every row, or 0 for none.
 *   relu  applies max(0, x) last, after the bias (the Dense + ReLU epilogue).
 *
 * Pointers are byte offsets, 4-byte aligned; leading dimensions are in elements (floats).
 * C must not overlap A, B or bias.
 */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  a: number;
  lda: number;
  b: number;
  ldb: number;
  c: number;
  ldc: number;
  bias: number;
  relu: boolean;
  accumulate: boolean;
}

/**
 * A convolution's GEMM with A = cols = im2col(g, x) never stored (Kernels.im2colGemm): GemmArgs
 * without A (and without M and K, which the geometry gives).
 */
export type Im2colGemmArgs = Omit<GemmArgs, 'a' | 'lda' | 'M' | 'K'>;

/**
 * A convolution's input-gradient GEMM with C = dcols never stored, scattered into dx by col2im
 * as it is computed (Kernels.gemmCol2im): GemmArgs without C (and without M and N, which the
 * geometry gives, nor the bias and ReLU of a forward epilogue).
 */
export type GemmCol2imArgs = Omit<GemmArgs, 'c' | 'ldc' | 'M' | 'N' | 'bias' | 'relu'>;

export type BackendName = 'wasm' | 'js';

/**
 * Every kernel below works on flat float arrays given by pointer: byte offsets, 4-byte aligned
 * (16 is not needed); counts in floats, any n >= 0. An output may be the very same array as an
 * input; arrays must not otherwise overlap. Scalars (rates, decays) are numbers, rounded to float32
 * once inside. kernels/assembly/elementwise.ts holds the SIMD loops and a longer contract.
 */
export interface Kernels extends ConvKernels {
  readonly name: BackendName;
  /** A short description for logs and benchmarks, e.g. "wasm simd128 (relaxed FMA)". */
  readonly description: string;
  gemm(args: GemmArgs): void;
  /**
   * gemm with op(A) the im2col matrix of an NHWC image x (kernels/conv-types.ts' im2col), read
   * from x as it is packed, so cols is never written: rows = batch·outH·outW, K = windowH·windowW·channels,
   *   transA false: C [rows, N] = relu?((accumulate ? C : 0) + cols · op(B) + bias),  op(B) [K, N]
   *   transA true:  C [K, N]    = relu?((accumulate ? C : 0) + colsᵀ · op(B) + bias), op(B) [rows, N]
   * Bit for bit what im2col into memory followed by gemm with A = cols (lda = K) gives. Fast where
   * channels is a multiple of 4 (4 floats of a tap at a time), fastest where no window reaches the
   * padding; correct for any geometry.
   */
  im2colGemm(g: WindowGeometry, x: number, args: Im2colGemmArgs): void;
  /**
   * A GEMM whose C is a convolution's dcols, added back to the pixels of dx (conv-types.ts'
   * col2imInto) as it is computed, so dcols is never written: rows = batch·outH·outW,
   * N = windowH·windowW·channels,
   *   dx [batch, height, width, channels] = (accumulate ? dx : 0) + col2im(op(A) · op(B)),  op(A) [rows, K], op(B) [K, N]
   * (for dx = col2im(dz · kernelᵀ): A = dz, B = the kernel [N, K] with transB). Bit for bit what
   * gemm into a dcols followed by col2imInto into dx (zeroed first unless accumulate) gives, up to
   * N = 512 columns; beyond, within rounding (dx adds a pixel's entries 512 columns at a time).
   */
  gemmCol2im(g: WindowGeometry, dx: number, args: GemmCol2imArgs): void;

  /**
   * Adam in Keras' form, in place on one parameter of n floats (w, m, v written; g read):
   *   m = beta1·m + (1 - beta1)·g;  v = beta2·v + (1 - beta2)·g²;  w -= lrT·m / (sqrt(v) + epsilon)
   * where the caller folds the bias corrections into lrT = lr·sqrt(1 - beta2^t) / (1 - beta1^t).
   */
  adamUpdate(n: number, w: number, g: number, m: number, v: number, lrT: number, beta1: number, beta2: number, epsilon: number): void;
  /**
   * SGD in Keras' form, in place on n floats. velocity = 0 (no slot): w -= lr·g. Otherwise
   * velocity = momentum·velocity - lr·g, then w += velocity (nesterov: w += momentum·velocity - lr·g).
   */
  sgdUpdate(n: number, w: number, g: number, velocity: number, lr: number, momentum: number, nesterov: boolean): void;
  /**
   * RMSprop in Keras' form, in place on n floats: ms = rho·ms + (1 - rho)·g²;
   * step = lr·g / sqrt(ms + epsilon); mom = 0 (no slot): w -= step, else mom = momentum·mom + step, w -= mom.
   */
  rmspropUpdate(n: number, w: number, g: number, ms: number, mom: number, lr: number, rho: number, momentum: number, epsilon: number): void;
  /**
   * Inverted dropout with a counter-based mask: element i is kept when
   * lowbias32(seed ^ (i·0x9e3779b9 mod 2^32)) >= floor(rate·2^32) (as unsigned 32-bit numbers), so
   * with probability 1 - rate, and the mask of element i depends only on (seed, i). Writes
   * mask[i] = kept ? float32(1/(1 - rate)) : 0 (unless mask is 0: no mask) and out[i] = x[i]·mask[i].
   * seed: a 32-bit integer; rate in [0, 1). Both backends give bit-identical masks.
   */
  dropoutForward(n: number, x: number, out: number, mask: number, seed: number, rate: number): void;
  /** dx[i] += dout[i]·mask[i] (dropout's backward), the product rounded to float32 before the add. */
  mulInto(n: number, dx: number, dout: number, mask: number): void;
  /**
   * ReLU's backward from its output: dz[i] = y[i] > 0 ? dout[i]·scale : 0 (NaN in y gives 0), the
   * product rounded to float32. scale (default 1) is a dropout's 1/(1 - rate) when y is the output
   * of a dropout applied to the ReLU's output: both backward passes in one.
   */
  reluBackward(n: number, dz: number, dout: number, y: number, scale?: number): void;
  /**
   * The bias gradient: db[j] += Σ_r dz[r, j] for dz a contiguous rows x cols matrix and db cols
   * floats, summed in row order from db[j] (so both backends agree to the bit).
   */
  columnSumsInto(rows: number, cols: number, db: number, dz: number): void;
  /** ptr[i] = value for i < n. */
  fill(n: number, ptr: number, value: number): void;
  /** The index of the first NaN or ±Infinity among the n floats at x, or -1 when all are finite. */
  findNonFinite(n: number, x: number): number;
}

/** The names of the kernels proper (every member of Kernels that computes). */
export type KernelName = Exclude<keyof Kernels, 'name' | 'description'>;

// ---- the WebAssembly module's raw exports ---------------------------------------------------------

/**
 * The GEMM as kernels/assembly/gemm.ts exports it, for the main thread (kernels/thread-pool.ts)
 * and the workers (kernels/gemm-worker.ts). Booleans are passed as 0/1.
 */
export interface WasmGemmExports {
  /**
   * C = relu?((accumulate ? C : 0) + op(A)·op(B) + bias), rows [rowBegin, rowEnd) of C only.
   * `workspace` points to gemmWorkspaceBytes(M, N, K) bytes of scratch owned by this call:
   * two calls running at once (threads) need two workspaces.
   */
  gemm(
    transA: number, transB: number, M: number, N: number, K: number,
    a: number, lda: number, b: number, ldb: number, c: number, ldc: number,
    bias: number, relu: number, accumulate: number,
    workspace: number, rowBegin: number, rowEnd: number,
  ): void;
  /** Scratch bytes gemm needs for these sizes (for any row range); at most ~1.2 MiB. */
  gemmWorkspaceBytes(M: number, N: number, K: number): number;
  /** End of the module's static data (AssemblyScript's __heap_base). */
  staticDataEnd(): number;
}

/** A kernel's signature as WebAssembly takes it: each boolean parameter becomes 0 or 1. */
export type WithBooleansAsNumbers<F> = F extends (...args: infer P) => infer R
  ? (...args: { [I in keyof P]: P[I] extends boolean ? number : P[I] }) => R
  : never;

/**
 * The element-wise exports of the same module (kernels/assembly/elementwise.ts): the Kernels
 * signatures above, booleans as 0/1. A dropout seed is read as a u32 (a JavaScript number wraps
 * modulo 2^32 on the way in); dropoutForward takes one more integer, `first`, the index of x[0]
 * in the mask's counter (0 for a whole tensor, a piece's start when a thread pool splits it).
 */
export type WasmElementwiseExports = { [K in Exclude<KernelName, 'gemm' | 'im2colGemm' | 'gemmCol2im' | 'dropoutForward' | keyof ConvKernels>]: WithBooleansAsNumbers<Kernels[K]> } & {
  dropoutForward(n: number, x: number, out: number, mask: number, seed: number, rate: number, first: number): void;
};

export type { WasmConvExports };
