// engine/ops/matmul.ts — matrix products, the ops that reach the GEMM kernel.
//
// matmul(a, b) is the textbook product; linear(x, W, b, { relu }) is a Dense layer's forward in
// one GEMM call, bias and ReLU fused into the kernel's epilogue. Both backward passes are GEMMs
// too, with transposed operands and `accumulate` so gradients add into .grad without a temporary;
// linear's ReLU mask and bias sums are kernels as well (reluBackward, columnSumsInto).

import { columnSumsInto, gemm, reluBackward } from '../../kernels/index.js';
import { empty, formatShape, record, type Tensor } from '../tensor.js';

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
  gemm({ transA: false, transB: false, M, N, K, a: a.ptr, lda: K, b: b.ptr, ldb: N, c: out.ptr, ldc: N, bias: 0, relu: false, accumulate: false });
  return record(out, 'matmul', [a, b], (dout) => {
    // dout [M, N].  da [M, K] += dout · bᵀ     db [K, N] += aᵀ · dout
    if (a.requiresGrad) {
      gemm({ transA: false, transB: true, M, N: K, K: N, a: dout.ptr, lda: N, b: b.ptr, ldb: N, c: a.gradBuffer().ptr, ldc: K, bias: 0, relu: false, accumulate: true });
    }
    if (b.requiresGrad) {
      gemm({ transA: true, transB: false, M: K, N, K: M, a: a.ptr, lda: K, b: dout.ptr, ldb: N, c: b.gradBuffer().ptr, ldc: N, bias: 0, relu: false, accumulate: true });
    }
  });
}

/**
 * A Dense layer's forward pass: y[B, out] = relu?(x[B, in] · W[in, out] + bias[out]), one GEMM.
 * W is laid out [in, out] as Keras' Dense kernel is. bias may be null.
 */
export function linear(x: Tensor, W: Tensor, bias: Tensor | null, options: { relu?: boolean } = {}): Tensor {
  const relu = options.relu ?? false;
  expect2d(x, 'the input', 'linear');
  expect2d(W, 'the kernel', 'linear');
  const [B, inUnits] = x.shape;
  const [inW, units] = W.shape;
  if (inUnits !== inW) {
    throw new Error(
      `wasmgrad: linear expected input with ${inW} features for a kernel of shape ${formatShape(W.shape)}, got input ${formatShape(x.shape)}`,
    );
  }
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== units)) {
    throw new Error(`wasmgrad: linear expected a bias of shape [${units}], got ${formatShape(bias.shape)}`);
  }
  const y = empty([B, units]);
  gemm({ transA: false, transB: false, M: B, N: units, K: inUnits, a: x.ptr, lda: inUnits, b: W.ptr, ldb: units, c: y.ptr, ldc: units, bias: bias === null ? 0 : bias.ptr, relu, accumulate: false });
  const inputs = bias === null ? [x, W] : [x, W, bias];
  return record(y, relu ? 'linear+relu' : 'linear', inputs, (dout) => {
    // dout [B, units]. Through the ReLU first: dz = dout where y > 0, else 0.
    let dz = dout;
    if (relu) {
      dz = empty([B, units]);
      reluBackward(dz.size, dz.ptr, dout.ptr, y.ptr);
    }
    // dx [B, in] += dz · Wᵀ        dW [in, units] += xᵀ · dz        db [units] += Σ_rows dz
    if (x.requiresGrad) {
      gemm({ transA: false, transB: true, M: B, N: inUnits, K: units, a: dz.ptr, lda: units, b: W.ptr, ldb: units, c: x.gradBuffer().ptr, ldc: inUnits, bias: 0, relu: false, accumulate: true });
    }
    if (W.requiresGrad) {
      gemm({ transA: true, transB: false, M: inUnits, N: units, K: B, a: x.ptr, lda: inUnits, b: dz.ptr, ldb: units, c: W.gradBuffer().ptr, ldc: units, bias: 0, relu: false, accumulate: true });
    }
    if (bias !== null && bias.requiresGrad) columnSumsInto(B, units, bias.gradBuffer().ptr, dz.ptr);
  });
}
