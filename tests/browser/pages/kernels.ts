// tests/browser/pages/kernels.ts — in the page: the backend is WASM SIMD whether or not the page is
// cross-origin isolated, and every shipped build this browser runs (relaxed FMA and plain simd128)
// agrees with the TypeScript reference: the GEMM on ragged sizes in every layout and epilogue,
// and the element-wise kernels (the dropout mask bit for bit).

import { ready } from 'wasmgrad';
import {
  alloc, backend, createWasmKernels, gemmReference, getBackend, heapF32, referenceKernels, wasmBuildValidates,
  type GemmArgs, type Kernels,
} from 'wasmgrad/kernels';
import { randomUniform } from '../../seeded.js';
import { check, note, runPage } from '../lib/report.js';

const EPS32 = 2 ** -23;

function filled(count: number, random: () => number): number {
  const ptr = alloc(Math.max(1, count) * 4);
  const heap = heapF32();
  for (let i = 0; i < count; i++) heap[(ptr >> 2) + i] = random();
  return ptr;
}

function copyOf(ptr: number, count: number): number {
  const out = alloc(Math.max(1, count) * 4);
  heapF32().copyWithin(out >> 2, ptr >> 2, (ptr >> 2) + count);
  return out;
}

/** The largest |wasm - reference| over C relative to the rounding bound, for one shape and layout. */
function gemmAgreement(kernels: Kernels, M: number, N: number, K: number, transA: boolean, transB: boolean, flags: { bias: boolean; relu: boolean; accumulate: boolean }, seed: number): string | null {
  const random = randomUniform(seed);
  const a = filled(M * K, random), b = filled(K * N, random), bias = flags.bias ? filled(N, random) : 0;
  const c = filled(M * N, random), cReference = copyOf(c, M * N);
  const args: GemmArgs = {
    transA, transB, M, N, K, a, lda: transA ? M : K, b, ldb: transB ? K : N, c, ldc: N, bias, relu: flags.relu, accumulate: flags.accumulate,
  };
  kernels.gemm(args);
  gemmReference({ ...args, c: cReference });
  const heap = heapF32();
  const tolerance = 8 * EPS32 * (K + 4 * 2);
  for (let i = 0; i < M * N; i++) {
    const got = heap[(c >> 2) + i]!, expected = heap[(cReference >> 2) + i]!;
    if (!(Math.abs(got - expected) <= tolerance)) return `C[${Math.floor(i / N)}][${i % N}] = ${got}, reference ${expected}`;
  }
  return null;
}

function gemmChecks(kernels: Kernels, build: string): void {
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [13, 17, 19], [33, 9, 65], [64, 130, 31], [129, 67, 258]];
  let cases = 0;
  const failures: string[] = [];
  for (const [M, N, K] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const bias of [false, true]) for (const relu of [false, true]) for (const accumulate of [false, true]) {
          const failure = gemmAgreement(kernels, M, N, K, transA, transB, { bias, relu, accumulate }, ++cases);
          if (failure !== null) failures.push(`${M}x${N}x${K} transA=${transA} transB=${transB} bias=${bias} relu=${relu} acc=${accumulate}: ${failure}`);
        }
      }
    }
  }
  check(`the ${build} GEMM equals the reference on ${cases} ragged shapes, layouts and epilogues`, failures.length === 0, failures.slice(0, 2).join('; '));
}

function elementwiseChecks(kernels: Kernels, build: string): void {
  const n = 1027; // a SIMD body and a tail
  const random = randomUniform(7);
  const failures: string[] = [];
  const compare = (what: string, ptrA: number, ptrB: number, count: number, exact: boolean) => {
    const heap = heapF32();
    for (let i = 0; i < count; i++) {
      const x = heap[(ptrA >> 2) + i]!, y = heap[(ptrB >> 2) + i]!;
      if (exact ? !Object.is(x, y) : !(Math.abs(x - y) <= 4 * EPS32 * Math.max(1, Math.abs(y)))) {
        failures.push(`${what}[${i}] = ${x}, reference ${y}`);
        return;
      }
    }
  };
  // Adam on w, m, v from g: the reference and the wasm build on copies of the same state.
  const w = filled(n, random), g = filled(n, random), m = filled(n, random), v = filled(n, () => Math.abs(random()));
  const [w2, m2, v2] = [copyOf(w, n), copyOf(m, n), copyOf(v, n)];
  kernels.adamUpdate(n, w, g, m, v, 0.001, 0.9, 0.999, 1e-7);
  referenceKernels.adamUpdate(n, w2, g, m2, v2, 0.001, 0.9, 0.999, 1e-7);
  compare('adam w', w, w2, n, false);
  compare('adam v', v, v2, n, false);
  // Dropout: the same mask, bit for bit.
  const x = filled(n, random), out = alloc(n * 4), mask = alloc(n * 4), out2 = alloc(n * 4), mask2 = alloc(n * 4);
  kernels.dropoutForward(n, x, out, mask, 0xdeadbeef, 0.2);
  referenceKernels.dropoutForward(n, x, out2, mask2, 0xdeadbeef, 0.2);
  compare('dropout mask', mask, mask2, n, true);
  compare('dropout out', out, out2, n, true);
  // ReLU backward and bias column sums.
  const dz = alloc(n * 4), dz2 = alloc(n * 4), dout = filled(n, random);
  kernels.reluBackward(n, dz, dout, x);
  referenceKernels.reluBackward(n, dz2, dout, x);
  compare('reluBackward', dz, dz2, n, true);
  const db = filled(13, random), db2 = copyOf(db, 13);
  kernels.columnSumsInto(79, 13, db, x);
  referenceKernels.columnSumsInto(79, 13, db2, x);
  compare('columnSumsInto', db, db2, 13, false);
  check(`the ${build} element-wise kernels (Adam, dropout, ReLU backward, bias sums) equal the reference`, failures.length === 0, failures.slice(0, 2).join('; '));
}

runPage(async () => {
  await ready();
  check('the backend is wasm after ready()', getBackend() === 'wasm', `${getBackend()}: ${backend().description}`);
  note('backend', backend().description);
  note('crossOriginIsolated', String(self.crossOriginIsolated));
  for (const build of ['relaxed', 'simd'] as const) {
    if (!wasmBuildValidates(build)) {
      check(`this Chromium validates the ${build} build`, false, 'WebAssembly.validate refused it');
      continue;
    }
    const kernels = await createWasmKernels(build);
    gemmChecks(kernels, build);
    elementwiseChecks(kernels, build);
  }
});
