// tests/property/ops.property.test.ts — properties of the compute, over random shapes and values
// (fast-check): the WASM GEMM and the TypeScript reference against a float64 oracle on every
// transpose flag and epilogue; Dense's forward and backward alike on both backends; broadcasting
// ops against a naive index-by-index implementation; softmax and reductions over extreme values.
//
// fast-check draws shapes, flags and a seed; the numbers come from a small seeded generator, so a
// failure shrinks to a small shape and prints the seed and path that reproduce it exactly
// (FC_SEED=<seed> npx vitest run tests/property to rerun with another seed).

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  add, div, linear, logSoftmax, mean, mul, parameter, reshape, scoped, setBackend, softmax, softmaxCrossEntropy, sub, sum,
  tensor, transpose, type Tensor,
} from '../../engine/index.js';
import { alloc, free, heapF32, referenceKernels, wasmKernels, type GemmArgs, type Kernels } from '../../kernels/index.js';
import { randomUniform as generator } from '../seeded.js';

const SEED = Number(process.env.FC_SEED ?? 20240611);
const runs = (numRuns: number) => ({ seed: SEED, numRuns });
const EPS32 = 2 ** -23;

afterEach(() => setBackend('wasm'));


/** Values of a kind: plain, tiny, huge, small integers (exact sums), or with many exact zeros. */
type ValueKind = 'uniform' | 'tiny' | 'huge' | 'integers' | 'sparse';
const valueKind = fc.constantFrom<ValueKind>('uniform', 'tiny', 'huge', 'integers', 'sparse');

function values(count: number, seed: number, kind: ValueKind): Float32Array {
  const next = generator(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = next();
    out[i] = kind === 'tiny' ? u * 1e-20 : kind === 'huge' ? u * 1e15 : kind === 'integers' ? Math.round(u * 8) : kind === 'sparse' && u > -0.5 ? 0 : u;
  }
  return out;
}

// ---- the GEMM ----------------------------------------------------------------------------------

const gemmCase = fc.record({
  M: fc.integer({ min: 1, max: 70 }),
  N: fc.integer({ min: 1, max: 70 }),
  K: fc.integer({ min: 1, max: 70 }),
  transA: fc.boolean(),
  transB: fc.boolean(),
  bias: fc.boolean(),
  relu: fc.boolean(),
  accumulate: fc.boolean(),
  /** Extra floats at the end of every row: operands and result as views into larger matrices. */
  pad: fc.integer({ min: 0, max: 3 }),
  kind: valueKind,
  seed: fc.integer(),
});
type GemmCase = typeof gemmCase extends fc.Arbitrary<infer T> ? T : never;

/** Runs one GEMM with `kernels` on fresh copies of the case's operands; returns C's rows [ldc]. */
function runGemm(kernels: Kernels, c: GemmCase, a: Float32Array, b: Float32Array, bias: Float32Array, c0: Float32Array): Float32Array {
  const { M, N, K, transA, transB, pad } = c;
  const lda = (transA ? M : K) + pad, ldb = (transB ? K : N) + pad, ldc = N + pad;
  const blocks = [a, b, bias, c0].map((data) => {
    const ptr = alloc(data.length * 4);
    heapF32().set(data, ptr >> 2);
    return { ptr, bytes: data.length * 4 };
  });
  const [pa, pb, pbias, pc] = blocks.map((block) => block.ptr);
  const args: GemmArgs = { transA, transB, M, N, K, a: pa, lda, b: pb, ldb, c: pc, ldc, bias: c.bias ? pbias : 0, relu: c.relu, accumulate: c.accumulate };
  kernels.gemm(args);
  const result = heapF32().slice(pc >> 2, (pc >> 2) + c0.length);
  for (const block of blocks) free(block.ptr, block.bytes);
  return result;
}

describe('GEMM: both backends against a float64 oracle', () => {
  it('C = relu?((accumulate ? C : 0) + op(A)·op(B) + bias) for random M, N, K <= 70, every flag, views with padding', () => {
    expect(wasmKernels, 'the wasm backend loads here').not.toBeNull();
    fc.assert(
      fc.property(gemmCase, (c) => {
        const { M, N, K, transA, transB, pad } = c;
        const aRows = transA ? K : M, aCols = transA ? M : K, bRows = transB ? N : K, bCols = transB ? K : N;
        const a = values(aRows * (aCols + pad), c.seed, c.kind);
        const b = values(bRows * (bCols + pad), c.seed + 1, c.kind);
        const bias = values(N, c.seed + 2, c.kind);
        const c0 = values(M * (N + pad), c.seed + 3, c.kind);
        const A = (i: number, k: number) => (transA ? a[k * (M + pad) + i] : a[i * (K + pad) + k]);
        const B = (k: number, j: number) => (transB ? b[j * (K + pad) + k] : b[k * (N + pad) + j]);
        const results = { js: runGemm(referenceKernels, c, a, b, bias, c0), wasm: runGemm(wasmKernels!, c, a, b, bias, c0) };
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            // The exact value in float64, and the classic bound on a float32 dot product's error:
            // K·eps·Σ|a·b|, plus the roundings of adding C and the bias (ReLU is 1-Lipschitz).
            const before = c.accumulate ? c0[i * (N + pad) + j] : 0, added = c.bias ? bias[j] : 0;
            let exact = before + added;
            let magnitude = Math.abs(before) + Math.abs(added);
            for (let k = 0; k < K; k++) {
              exact += A(i, k) * B(k, j);
              magnitude += Math.abs(A(i, k) * B(k, j));
            }
            if (c.relu) exact = Math.max(0, exact);
            const tolerance = (K + 2) * EPS32 * magnitude + 1e-38;
            for (const [name, C] of Object.entries(results)) {
              const got = C[i * (N + pad) + j];
              if (!(Math.abs(got - exact) <= tolerance)) {
                throw new Error(`${name}: C[${i}][${j}] = ${got}, exact ${exact}, tolerance ${tolerance}`);
              }
            }
          }
          // The padding after each row of C is not C's: neither backend may touch it.
          for (let j = N; j < N + pad; j++) {
            for (const [name, C] of Object.entries(results)) {
              if (!Object.is(C[i * (N + pad) + j], c0[i * (N + pad) + j])) throw new Error(`${name} wrote into C's padding at row ${i}`);
            }
          }
        }
      }),
      runs(400),
    );
  });
});

// ---- Dense's forward and backward on both backends ---------------------------------------------------

const denseCase = fc.record({
  batch: fc.integer({ min: 1, max: 40 }),
  inputs: fc.integer({ min: 1, max: 40 }),
  units: fc.integer({ min: 1, max: 40 }),
  withBias: fc.boolean(),
  relu: fc.boolean(),
  seed: fc.integer(),
});

/** linear(x, W, b) with its gradients for a random upstream gradient, on one backend. */
function denseOnBackend(backend: 'js' | 'wasm', c: typeof denseCase extends fc.Arbitrary<infer T> ? T : never) {
  setBackend(backend);
  return scoped(() => {
    const x = parameter(tensor(values(c.batch * c.inputs, c.seed, 'uniform'), [c.batch, c.inputs]));
    const W = parameter(tensor(values(c.inputs * c.units, c.seed + 1, 'uniform'), [c.inputs, c.units]));
    const b = c.withBias ? parameter(tensor(values(c.units, c.seed + 2, 'uniform'), [c.units])) : null;
    const dout = tensor(values(c.batch * c.units, c.seed + 3, 'uniform'), [c.batch, c.units]);
    const y = linear(x, W, b, { relu: c.relu });
    y.backward(dout);
    const copy = (t: Tensor | null) => (t === null ? null : Float32Array.from(t.data));
    return { y: copy(y), dx: copy(x.grad), dW: copy(W.grad), db: b === null ? null : copy(b.grad) };
  });
}

describe('Dense (linear) on the js and wasm backends', () => {
  it('forward and every gradient agree within float32 rounding, with and without bias and ReLU', () => {
    fc.assert(
      fc.property(denseCase, (c) => {
        const js = denseOnBackend('js', c), wasm = denseOnBackend('wasm', c);
        // Values are in [-1, 1): a sum of n products is off by at most about n·eps in either backend.
        const sums = { y: c.inputs, dx: c.units, dW: c.batch, db: c.batch };
        for (const key of ['y', 'dx', 'dW', 'db'] as const) {
          const a = js[key], b = wasm[key];
          expect(a === null).toBe(b === null);
          if (a === null || b === null) continue;
          const tolerance = 4 * (sums[key] + 2) * EPS32 * (sums[key] + 1);
          for (let i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - b[i]) <= tolerance)) throw new Error(`${key}[${i}]: js ${a[i]}, wasm ${b[i]} (tolerance ${tolerance})`);
          }
        }
      }),
      runs(60),
    );
  });
});

// ---- broadcasting --------------------------------------------------------------------------------------

/**
 * Two shapes that broadcast together: each keeps a random number of the trailing dimensions of a
 * common full shape, with some of them set to 1. `out` is the result by the rule, worked out here
 * independently of broadcastShape: rank the larger of the two, each size the larger of the two.
 */
const broadcastShapes = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((full) => {
    const input = fc
      .tuple(fc.integer({ min: 0, max: full.length }), fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }))
      .map(([rank, ones]) => full.slice(full.length - rank).map((d, i) => (ones[full.length - rank + i] ? 1 : d)));
    return fc.tuple(input, input);
  })
  .map(([a, b]) => {
    const rank = Math.max(a.length, b.length);
    const at = (shape: number[], axis: number) => shape[shape.length - rank + axis] ?? 1;
    return { a, b, out: Array.from({ length: rank }, (_, axis) => Math.max(at(a, axis), at(b, axis))) };
  });

/** Index of an output element's source in an input of `shape`, by the rule itself, the slow way. */
function sourceIndex(outIndex: number, out: readonly number[], shape: readonly number[]): number {
  const multi: number[] = [];
  for (let axis = out.length - 1, rest = outIndex; axis >= 0; axis--) {
    multi.unshift(rest % out[axis]);
    rest = Math.floor(rest / out[axis]);
  }
  let index = 0;
  for (let axis = 0; axis < shape.length; axis++) {
    const coordinate = shape[axis] === 1 ? 0 : multi[out.length - shape.length + axis];
    index = index * shape[axis] + coordinate;
  }
  return index;
}

const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

describe('broadcasting ops against a naive implementation', () => {
  const ops = {
    add: { op: add, f: (x: number, y: number) => x + y, da: () => 1, db: () => 1 },
    sub: { op: sub, f: (x: number, y: number) => x - y, da: () => 1, db: () => -1 },
    mul: { op: mul, f: (x: number, y: number) => x * y, da: (_x: number, y: number) => y, db: (x: number) => x },
    div: { op: div, f: (x: number, y: number) => x / y, da: (_x: number, y: number) => 1 / y, db: (x: number, y: number) => -x / (y * y) },
  };

  it('values bit for bit, and gradients summed over the broadcast axes', () => {
    fc.assert(
      fc.property(broadcastShapes, fc.constantFrom(...(Object.keys(ops) as (keyof typeof ops)[])), fc.integer(), ({ out, a: aShape, b: bShape }, name, seed) => {
        const { op, f, da, db } = ops[name];
        const aValues = values(size(aShape), seed, 'uniform');
        // Denominators away from 0: magnitudes in [0.5, 1.5).
        const bValues = values(size(bShape), seed + 1, 'uniform').map((v) => (name === 'div' ? Math.sign(v || 1) * (0.5 + Math.abs(v)) : v));
        const w = values(size(out), seed + 2, 'uniform');
        scoped(() => {
          const a = parameter(tensor(aValues, aShape)), b = parameter(tensor(bValues, bShape));
          const y = op(a, b);
          expect(y.shape).toEqual(out);
          y.backward(tensor(w, out));
          const dA = new Float64Array(a.size), dB = new Float64Array(b.size);
          for (let i = 0; i < size(out); i++) {
            const ia = sourceIndex(i, out, aShape), ib = sourceIndex(i, out, bShape);
            const x = aValues[ia], z = bValues[ib];
            if (!Object.is(y.data[i], Math.fround(f(x, z)))) throw new Error(`${name} at ${i}: ${y.data[i]} != ${Math.fround(f(x, z))}`);
            dA[ia] += w[i] * da(x, z);
            dB[ib] += w[i] * db(x, z);
          }
          // float32 accumulation of up to size(out) terms, each at most 4 in magnitude (div's db).
          const tolerance = 8 * size(out) * EPS32 * 4 + 1e-30;
          for (const [grad, want] of [[a.grad!.data, dA], [b.grad!.data, dB]] as const) {
            for (let i = 0; i < want.length; i++) {
              if (!(Math.abs(grad[i] - want[i]) <= tolerance)) throw new Error(`${name} gradient ${i}: ${grad[i]} vs ${want[i]}`);
            }
          }
        });
      }),
      runs(200),
    );
  });
});

// ---- softmax, reductions, shapes -------------------------------------------------------------------------

describe('softmax over extreme logits', () => {
  const logits = fc.record({
    rows: fc.integer({ min: 1, max: 8 }),
    classes: fc.integer({ min: 1, max: 60 }),
    scale: fc.constantFrom(1, 100, 1e4),
    /** Rows of one repeated value, or one logit far above the rest, besides plain random rows. */
    pattern: fc.constantFrom('random', 'constant', 'spike'),
    seed: fc.integer(),
  });

  it('rows are finite, in [0, 1], sum to 1, and keep the argmax; logSoftmax and cross-entropy stay finite', () => {
    fc.assert(
      fc.property(logits, ({ rows, classes, scale, pattern, seed }) => {
        const raw = values(rows * classes, seed, 'uniform').map((v, i) =>
          pattern === 'constant' ? scale : pattern === 'spike' ? (i % classes === Math.abs(seed) % classes ? scale : -scale) : v * scale,
        );
        scoped(() => {
          const x = tensor(raw, [rows, classes]);
          const p = softmax(x).data, lp = logSoftmax(x).data;
          const labels = tensor(Array.from({ length: rows }, (_, r) => (((r * 7 + seed) % classes) + classes) % classes), [rows]);
          const loss = softmaxCrossEntropy(x, labels).item();
          expect(Number.isFinite(loss) && loss >= 0).toBe(true);
          for (let r = 0; r < rows; r++) {
            let total = 0, best = 0, bestP = 0;
            for (let j = 0; j < classes; j++) {
              const v = p[r * classes + j];
              if (!(v >= 0 && v <= 1)) throw new Error(`softmax ${v} at row ${r}`);
              if (!(Number.isFinite(lp[r * classes + j]) || lp[r * classes + j] === -Infinity) || lp[r * classes + j] > 0) {
                throw new Error(`logSoftmax ${lp[r * classes + j]} at row ${r}`);
              }
              total += v;
              if (raw[r * classes + j] > raw[r * classes + best]) best = j;
              if (v > p[r * classes + bestP]) bestP = j;
            }
            if (!(Math.abs(total - 1) <= 4 * classes * EPS32)) throw new Error(`row ${r} sums to ${total}`);
            expect(p[r * classes + bestP]).toBe(p[r * classes + best]); // the largest logit has the largest probability
          }
        });
      }),
      runs(200),
    );
  });
});

describe('reductions and shape ops', () => {
  it('sum and mean along any axis match float64 sums', () => {
    const shaped = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
      fc.record({ shape: fc.constant(shape), axis: fc.integer({ min: -shape.length, max: shape.length - 1 }), keepDims: fc.boolean(), seed: fc.integer() }),
    );
    fc.assert(
      fc.property(shaped, ({ shape, axis, keepDims, seed }) => {
        const data = values(size(shape), seed, 'uniform');
        scoped(() => {
          const x = tensor(data, shape);
          const a = axis < 0 ? axis + shape.length : axis;
          const outer = size(shape.slice(0, a)), n = shape[a], inner = size(shape.slice(a + 1));
          const s = sum(x, { axis, keepDims }), m = mean(x, { axis, keepDims });
          expect(s.shape).toEqual(keepDims ? shape.map((d, i) => (i === a ? 1 : d)) : shape.filter((_, i) => i !== a));
          for (let o = 0; o < outer; o++) {
            for (let j = 0; j < inner; j++) {
              let total = 0;
              for (let k = 0; k < n; k++) total += data[(o * n + k) * inner + j];
              expect(s.data[o * inner + j]).toBeCloseTo(total, 5);
              expect(m.data[o * inner + j]).toBeCloseTo(total / n, 5);
            }
          }
        });
      }),
      runs(150),
    );
  });

  it('transpose twice and reshape there and back give the same numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer(), (rows, cols, seed) => {
        const data = values(rows * cols, seed, 'uniform');
        scoped(() => {
          const x = tensor(data, [rows, cols]);
          const t = transpose(x);
          expect(t.shape).toEqual([cols, rows]);
          for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expect(t.data[j * rows + i]).toBe(data[i * cols + j]);
          expect(Array.from(transpose(t).data)).toEqual(Array.from(data));
          expect(Array.from(reshape(reshape(x, [-1]), [rows, cols]).data)).toEqual(Array.from(data));
        });
      }),
      runs(100),
    );
  });
});
