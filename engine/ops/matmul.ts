// engine/ops/matmul.ts — matrix products, the ops that reach the GEMM kernel.
//
// matmul(a, b) is the textbook product; linear(x, W, b, { relu }) is a Dense layer's forward in
// one GEMM call, bias and ReLU fused into the kernel's epilogue (and, with { dropout }, a dropout
// applied in place right after it). Both backward passes are GEMMs too, with transposed operands,
// adding into .grad without a temporary (or writing it, while it is still zero); linear's ReLU
// mask (with the dropout's, in the same pass) and bias sums are kernels as well (reluBackward,
// columnSumsInto). Every GEMM goes through gemmInto, which reads the sizes off the tensors, so
// each call reads as its formula.

import { columnSumsInto, dropoutForward, gemm, reluBackward } from '../../kernels/index.js';
import { globalRandom, type Random } from '../random.js';
import { empty, formatShape, record, type Tensor } from '../tensor.js';

/** How gemmInto reads its operands and writes its result (every flag false/null by default). */
export interface GemmIntoOptions {
  /** Use aᵀ for a (a is stored K x M). */
  transA?: boolean;
  /** Use bᵀ for b (b is stored N x K). */
  transB?: boolean;
  /** out += the product, instead of out = the product (gradients accumulate). */
  accumulate?: boolean;
  /** A vector of N floats added to every row of the product. */
  bias?: Tensor | null;
  /** max(0, ·) applied last, after the bias. */
  relu?: boolean;
}

/**
 * out[M, N] (+)= relu?(op(a)[M, K] · op(b)[K, N] + bias[N]), op(t) = tᵀ when its flag is set:
 * one GEMM (kernels/types.ts' GemmArgs), every size and leading dimension read off the 2-D,
 * contiguous tensors' shapes. The ops check their users' shapes; this checks its own callers.
 */
export function gemmInto(out: Tensor, a: Tensor, b: Tensor, options: GemmIntoOptions = {}): void {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  // Read by index: array destructuring ran the iterator protocol, an object per GEMM.
  const aRows = a.shape[0], aCols = a.shape[1];
  const bRows = b.shape[0], bCols = b.shape[1];
  const M = transA ? aCols : aRows;
  const K = transA ? aRows : aCols;
  const N = transB ? bRows : bCols;
  if ((transB ? bCols : bRows) !== K || out.shape[0] !== M || out.shape[1] !== N) {
    throw new Error(
      `wasmgrad: gemmInto got out ${formatShape(out.shape)} = ${transA ? 'aᵀ' : 'a'} · ${transB ? 'bᵀ' : 'b'} ` +
        `with a ${formatShape(a.shape)} and b ${formatShape(b.shape)}`,
    );
  }
  gemm({
    transA, transB, M, N, K, a: a.ptr, lda: aCols, b: b.ptr, ldb: bCols, c: out.ptr, ldc: N,
    bias: options.bias?.ptr ?? 0, relu: options.relu ?? false, accumulate: options.accumulate ?? false,
  });
}

/**
 * t.grad += op(a) · op(b): the backward passes' GEMM. When nothing has been added to t's gradient
 * since it was zeroed (the usual case: one op reads each tensor), the GEMM writes the product
 * instead of adding it, and the zeros are never written (Tensor.startGradContribution).
 */
function gemmIntoGrad(t: Tensor, a: Tensor, b: Tensor, transA: boolean, transB: boolean): void {
  const accumulate = t.startGradContribution();
  gemmInto(t.grad!, a, b, { transA, transB, accumulate });
}

function expect2d(t: Tensor, what: string, op: string): void {
  if (t.rank !== 2) throw new Error(`wasmgrad: ${op} expected ${what} to be 2-D, got shape ${formatShape(t.shape)}`);
}

/** out[M, N] = a[M, K] · b[K, N]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  expect2d(a, 'the left operand', 'matmul');
  expect2d(b, 'the right operand', 'matmul');
  const [M, K] = a.shape;
  const [K2, N] = b.shape;
  if (K !== K2) {
    throw new Error(
      `wasmgrad: matmul expected a's columns to equal b's rows, got a ${formatShape(a.shape)} and b ${formatShape(b.shape)} (${K} != ${K2})`,
    );
  }
  const out = empty([M, N]);
  gemmInto(out, a, b);
  return record(out, 'matmul', [a, b], (dout) => {
    // dout [M, N].  da [M, K] += dout · bᵀ     db [K, N] += aᵀ · dout
    if (a.requiresGrad) gemmIntoGrad(a, dout, b, false, true);
    if (b.requiresGrad) gemmIntoGrad(b, a, dout, true, false);
  });
}

/** A dropout that linear() applies to its ReLU's output: the rate, and the generator of the mask's seed. */
export interface LinearDropout {
  /** In [0, 1); 0 is no dropout. */
  rate: number;
  /** Default the global one (setSeed). */
  random?: Random;
}

/**
 * A Dense layer's forward pass: y[B, out] = relu?(x[B, in] · W[in, out] + bias[out]), one GEMM.
 * W is laid out [in, out] as Keras' Dense kernel is. bias may be null.
 *
 * With { relu: true, dropout: { rate } } (a Dense + ReLU followed by Dropout, while training), the
 * dropout runs in place on the GEMM's output: the same mask and numbers as dropout(linear(...)),
 * from the same draw of its generator. Its backward needs no mask: y > 0 exactly where the ReLU
 * passed and the mask kept, and there dz = dout / (1 - rate), so the ReLU's and the dropout's
 * backward passes are one kernel pass (no dropout gradient buffer to zero and add into).
 */
export function linear(x: Tensor, W: Tensor, bias: Tensor | null, options: { relu?: boolean; dropout?: LinearDropout } = {}): Tensor {
  const relu = options.relu ?? false;
  const rate = options.dropout?.rate ?? 0;
  if (!(rate >= 0 && rate < 1)) throw new Error(`wasmgrad: linear expected a dropout rate in [0, 1), got ${rate}`);
  if (rate > 0 && !relu) throw new Error('wasmgrad: linear applies a dropout only after its ReLU ({ relu: true, dropout })');
  expect2d(x, 'the input', 'linear');
  expect2d(W, 'the kernel', 'linear');
  // Read by index: array destructuring runs the iterator protocol, and this runs every layer, every step.
  const B = x.shape[0], inUnits = x.shape[1];
  const inW = W.shape[0], units = W.shape[1];
  if (inUnits !== inW) {
    throw new Error(
      `wasmgrad: linear expected input with ${inW} features for a kernel of shape ${formatShape(W.shape)}, got input ${formatShape(x.shape)}`,
    );
  }
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== units)) {
    throw new Error(`wasmgrad: linear expected a bias of shape [${units}], got ${formatShape(bias.shape)}`);
  }
  const y = empty([B, units]);
  gemmInto(y, x, W, { bias, relu });
  // Mask pointer 0: no mask is stored, the backward pass tells kept elements by y > 0. reluBackward
  // rounds 1/(1 - rate) to float32 as the dropout kernel does: dz holds the products dout·mask.
  if (rate > 0) dropoutForward(y.size, y.ptr, y.ptr, 0, (options.dropout!.random ?? globalRandom).nextUint32(), rate);
  const scale = 1 / (1 - rate);
  const inputs = bias === null ? [x, W] : [x, W, bias];
  return record(y, rate > 0 ? 'linear+relu+dropout' : relu ? 'linear+relu' : 'linear', inputs, (dout) => {
    // dout [B, units]. Through the ReLU (and the dropout) first: dz = dout·scale where y > 0, else 0.
    let dz = dout;
    if (relu) {
      dz = empty([B, units]);
      reluBackward(dz.size, dz.ptr, dout.ptr, y.ptr, scale);
    }
    // dx [B, in] += dz · Wᵀ        dW [in, units] += xᵀ · dz        db [units] += Σ_rows dz
    if (x.requiresGrad) gemmIntoGrad(x, dz, W, false, true);
    if (W.requiresGrad) gemmIntoGrad(W, x, dz, true, false);
    if (bias !== null && bias.requiresGrad) columnSumsInto(B, units, bias.gradBuffer().ptr, dz.ptr);
  });
}
