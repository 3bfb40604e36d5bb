// tests/kernels/elementwise.test.ts — the WASM element-wise kernels (optimizer updates, dropout,
// mulInto, ReLU backward, bias column sums, fill), in every build this runtime accepts, against
// the TypeScript reference; plus the dropout mask's statistics. Not a benchmark (no timings here).
//
// vitest.config.ts runs this file twice: plainly, and with --experimental-wasm-relaxed-simd, so that
// on Node 20 the relaxed build is checked too.

import { afterEach, describe, expect, it } from 'vitest';
import {
  adamUpdate, alloc, dropoutForward, free, getBackend, heapF32, lowbias32, referenceKernels, setBackend,
  type Kernels,
} from '../../kernels/index.js';
import { createWasmKernels, wasmBuildValidates, wasmKernels, type WasmBuild } from '../../kernels/wasm.js';
import { randomUniform } from '../seeded.js';

const EPS32 = 2 ** -23; // float32 machine epsilon
/** Ragged lengths: empty, shorter than one f32x4, exactly one, one past, odd, and long with a tail of 3. */
const LENGTHS = [0, 1, 3, 4, 5, 17, 1023];
/** Floats written around every array; a kernel must leave them alone. */
const GUARD = 4;
const GUARD_VALUE = -12345.5;

function randomArray(n: number, random: () => number, scale = 1, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, () => offset + scale * random());
}

// ---- arrays in the shared memory, with guards and chosen misalignment -----------------------------

/** An array of n floats at a pointer that is 4-byte aligned and `shift` floats past a 16-byte boundary. */
interface Block {
  base: number;
  bytes: number;
  ptr: number;
  n: number;
}

function place(values: Float32Array, shift: number): Block {
  const n = values.length;
  const bytes = (n + 2 * GUARD + 4) * 4;
  const base = alloc(bytes); // 64-byte aligned
  const ptr = base + (GUARD + shift) * 4; // GUARD = 4 floats keeps the 16-byte phase equal to shift
  const heap = heapF32();
  heap.fill(GUARD_VALUE, base >> 2, (base + bytes) >> 2);
  heap.set(values, ptr >> 2);
  return { base, bytes, ptr, n };
}

function read(block: Block): Float32Array {
  return heapF32().slice(block.ptr >> 2, (block.ptr >> 2) + block.n);
}

/** Checks the GUARD floats on each side of the array were not written. */
function expectGuardsIntact(block: Block, what: string): void {
  const heap = heapF32();
  for (let k = 1; k <= GUARD; k++) {
    const before = heap[(block.ptr >> 2) - k]!;
    const after = heap[(block.ptr >> 2) + block.n + k - 1]!;
    if (before !== GUARD_VALUE || after !== GUARD_VALUE) expect.fail(`${what}: wrote outside the array (guard ${k} floats away)`);
  }
}

/**
 * Places copies of `inputs` twice (alignments from `shifts`), runs `expectedCall` on one set and
 * `gotCall` on the other, checks every guard, and returns both sets' final contents.
 */
function runPair(
  inputs: Float32Array[], shifts: number[], expectedCall: (ptrs: number[]) => void, gotCall: (ptrs: number[]) => void, what: string,
): { got: Float32Array[]; expected: Float32Array[] } {
  const expectedBlocks = inputs.map((values, i) => place(values, shifts[i % shifts.length]!));
  const gotBlocks = inputs.map((values, i) => place(values, shifts[i % shifts.length]!));
  try {
    expectedCall(expectedBlocks.map((b) => b.ptr));
    gotCall(gotBlocks.map((b) => b.ptr));
    gotBlocks.forEach((b, i) => expectGuardsIntact(b, `${what}, array ${i}`));
    expectedBlocks.forEach((b, i) => expectGuardsIntact(b, `${what}, reference, array ${i}`));
    return { got: gotBlocks.map(read), expected: expectedBlocks.map(read) };
  } finally {
    for (const b of [...expectedBlocks, ...gotBlocks]) free(b.base, b.bytes);
  }
}

/** runPair with the reference giving `expected` and `kernels` giving `got`. */
function runBoth(
  kernels: Kernels, inputs: Float32Array[], shifts: number[], call: (k: Kernels, ptrs: number[]) => void, what: string,
): { got: Float32Array[]; expected: Float32Array[] } {
  return runPair(inputs, shifts, (ptrs) => call(referenceKernels, ptrs), (ptrs) => call(kernels, ptrs), what);
}

/** Same bits, element by element (Object.is: -0 differs from 0, NaN equals NaN). */
function expectBitIdentical(got: Float32Array, expected: Float32Array, what: string): void {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], expected[i])) expect.fail(`${what}: element ${i} is ${got[i]}, reference ${expected[i]}`);
  }
}

/** |got - expected| <= tolerance[i] for every element. */
function expectClose(got: Float32Array, expected: Float32Array, tolerance: (i: number) => number, what: string): void {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < got.length; i++) {
    const allowed = tolerance(i);
    if (!(Math.abs(got[i]! - expected[i]!) <= allowed)) {
      expect.fail(`${what}: element ${i} is ${got[i]}, reference ${expected[i]} (tolerance ${allowed})`);
    }
  }
}

/** Misalignments (in floats past a 16-byte boundary) for each array of a case: all four phases, mixed. */
function shiftsFor(caseIndex: number, arrays: number): number[] {
  return Array.from({ length: arrays }, (_, k) => (caseIndex + k) % 4);
}

// Every build this runtime accepts: simd always, relaxed where it validates.
const builds: WasmBuild[] = wasmBuildValidates('relaxed') ? ['simd', 'relaxed'] : ['simd'];
const kernelsByBuild = new Map<WasmBuild, Kernels>();
for (const build of builds) kernelsByBuild.set(build, await createWasmKernels(build));

/** Every (length, misalignment) pair: each length at all four 16-byte phases. */
const CASES: [number, number][] = LENGTHS.flatMap((n) => [0, 1, 2, 3].map((phase) => [n, phase] as [number, number]));

describe.each(builds)('wasm element-wise kernels, %s build, against the reference', (build) => {
  const kernels = kernelsByBuild.get(build)!;

  // ---- optimizer updates: float32 arithmetic vs the reference's float64, within a few roundings ----

  describe('adamUpdate', () => {
    it.each(CASES)('n=%i, misalignment %i', (n, phase) => {
      const random = randomUniform(n * 4 + phase + 1);
      // Weights as small as a step, so the tolerance (relative to |w| + |step|) sees the step's bits.
      // Every third element has a tiny gradient and second moment, where epsilon decides the step.
      const tiny = (i: number) => (i % 3 === 1 ? 1e-5 : 1);
      const w = randomArray(n, random, 0.01);
      const g = randomArray(n, random).map((x, i) => x * tiny(i)), m = randomArray(n, random, 0.1).map((x, i) => x * tiny(i));
      const v = randomArray(n, random, 0.005, 0.005).map((x, i) => x * tiny(i) ** 2); // v >= 0, as Adam keeps it
      for (const t of [1, 10]) {
        const [lr, beta1, beta2, epsilon] = [0.001, 0.9, 0.999, 1e-7];
        const lrT = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
        const { got, expected } = runBoth(kernels, [w, g, m, v], shiftsFor(phase, 4),
          (k, [pw, pg, pm, pv]) => k.adamUpdate(n, pw!, pg!, pm!, pv!, lrT, beta1, beta2, epsilon), `adam n=${n} t=${t}`);
        // Rounding error bounds from the absolute sizes of each formula's terms.
        const mScale = (i: number) => beta1 * Math.abs(m[i]!) + (1 - beta1) * Math.abs(g[i]!);
        const vScale = (i: number) => beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
        const wScale = (i: number) => Math.abs(w[i]!) + (lrT * mScale(i)) / (Math.sqrt(expected[3]![i]!) + epsilon);
        expectClose(got[0]!, expected[0]!, (i) => 16 * EPS32 * wScale(i), `adam w, n=${n}`);
        expectBitIdentical(got[1]!, g, `adam g is read only, n=${n}`);
        expectClose(got[2]!, expected[2]!, (i) => 4 * EPS32 * mScale(i), `adam m, n=${n}`);
        expectClose(got[3]!, expected[3]!, (i) => 4 * EPS32 * vScale(i), `adam v, n=${n}`);
      }
    });
  });

  describe('sgdUpdate', () => {
    it.each(CASES)('n=%i, misalignment %i: plain, momentum, Nesterov', (n, phase) => {
      const random = randomUniform(n * 8 + phase + 2);
      const w = randomArray(n, random, 0.1), g = randomArray(n, random), velocity = randomArray(n, random, 0.05);
      const lr = 0.01, momentum = 0.9;
      const plain = runBoth(kernels, [w, g], shiftsFor(phase, 2), (k, [pw, pg]) => k.sgdUpdate(n, pw!, pg!, 0, lr, 0, false), `sgd n=${n}`);
      expectClose(plain.got[0]!, plain.expected[0]!, (i) => 4 * EPS32 * (Math.abs(w[i]!) + lr * Math.abs(g[i]!)), `sgd w, n=${n}`);
      for (const nesterov of [false, true]) {
        const { got, expected } = runBoth(kernels, [w, g, velocity], shiftsFor(phase, 3),
          (k, [pw, pg, pv]) => k.sgdUpdate(n, pw!, pg!, pv!, lr, momentum, nesterov), `sgd momentum n=${n} nesterov=${nesterov}`);
        const vScale = (i: number) => momentum * Math.abs(velocity[i]!) + lr * Math.abs(g[i]!);
        const wScale = (i: number) => Math.abs(w[i]!) + (nesterov ? momentum * vScale(i) + lr * Math.abs(g[i]!) : vScale(i));
        expectClose(got[0]!, expected[0]!, (i) => 8 * EPS32 * wScale(i), `sgd w, nesterov=${nesterov}, n=${n}`);
        expectClose(got[2]!, expected[2]!, (i) => 4 * EPS32 * vScale(i), `sgd velocity, nesterov=${nesterov}, n=${n}`);
      }
    });
  });

  describe('rmspropUpdate', () => {
    it.each(CASES)('n=%i, misalignment %i: without and with momentum', (n, phase) => {
      const random = randomUniform(n * 16 + phase + 3);
      const tiny = (i: number) => (i % 3 === 1 ? 1e-5 : 1); // where epsilon decides the step
      const w = randomArray(n, random, 0.01), g = randomArray(n, random).map((x, i) => x * tiny(i));
      const ms = randomArray(n, random, 0.005, 0.005).map((x, i) => x * tiny(i) ** 2), mom = randomArray(n, random, 0.01);
      const [lr, rho, epsilon] = [0.001, 0.9, 1e-7];
      for (const momentum of [0, 0.5]) {
        const inputs = momentum === 0 ? [w, g, ms] : [w, g, ms, mom];
        const { got, expected } = runBoth(kernels, inputs, shiftsFor(phase, inputs.length),
          (k, [pw, pg, pms, pmom]) => k.rmspropUpdate(n, pw!, pg!, pms!, pmom ?? 0, lr, rho, momentum, epsilon), `rmsprop n=${n} momentum=${momentum}`);
        const msScale = (i: number) => rho * ms[i]! + (1 - rho) * g[i]! * g[i]!;
        const stepScale = (i: number) => (lr * Math.abs(g[i]!)) / Math.sqrt(expected[2]![i]! + epsilon);
        const momScale = (i: number) => momentum * Math.abs(mom[i]!) + stepScale(i);
        expectClose(got[2]!, expected[2]!, (i) => 4 * EPS32 * msScale(i), `rmsprop ms, n=${n}`);
        expectClose(got[0]!, expected[0]!, (i) => 16 * EPS32 * (Math.abs(w[i]!) + momScale(i)), `rmsprop w, momentum=${momentum}, n=${n}`);
        if (momentum > 0) expectClose(got[3]!, expected[3]!, (i) => 16 * EPS32 * momScale(i), `rmsprop mom, n=${n}`);
      }
    });
  });

  // ---- the rest agree with the reference to the bit ----

  describe('dropoutForward', () => {
    const SEEDS = [0, 1, 0x9e3779b9, 0xffffffff];
    const RATES = [0, 0.2, 0.5, 0.9];
    it.each(CASES)('n=%i, misalignment %i: the same masks and outputs as the reference, bit for bit', (n, phase) => {
      const x = randomArray(n, randomUniform(n * 32 + phase + 4), 3);
      for (const seed of SEEDS) {
        for (const rate of RATES) {
          const zeros = new Float32Array(n);
          const { got, expected } = runBoth(kernels, [x, zeros, zeros], shiftsFor(phase, 3),
            (k, [px, pout, pmask]) => k.dropoutForward(n, px!, pout!, pmask!, seed, rate), `dropout n=${n}`);
          expectBitIdentical(got[2]!, expected[2]!, `dropout mask, n=${n} seed=${seed} rate=${rate}`);
          expectBitIdentical(got[1]!, expected[1]!, `dropout out, n=${n} seed=${seed} rate=${rate}`);
          expectBitIdentical(got[0]!, x, `dropout x is read only, n=${n}`);
        }
      }
    });

    it('keeps element i exactly when lowbias32(seed ^ i·0x9e3779b9) >= floor(rate·2^32)', () => {
      const n = 1023, seed = 2024, rate = 0.3;
      const threshold = Math.floor(rate * 2 ** 32);
      const { got } = runBoth(kernels, [new Float32Array(n).fill(1), new Float32Array(n), new Float32Array(n)], [1, 2, 3],
        (k, [px, pout, pmask]) => k.dropoutForward(n, px!, pout!, pmask!, seed, rate), 'dropout by hand');
      for (let i = 0; i < n; i++) {
        const kept = lowbias32((seed ^ Math.imul(i, 0x9e3779b9)) >>> 0) >= threshold;
        expect(got[2]![i]).toBe(kept ? Math.fround(1 / (1 - rate)) : 0);
      }
    });

    it("depends only on (seed, i): a short call's mask is a prefix of a long call's", () => {
      const long = runBoth(kernels, [new Float32Array(1023).fill(1), new Float32Array(1023), new Float32Array(1023)], [0],
        (k, [px, pout, pmask]) => k.dropoutForward(1023, px!, pout!, pmask!, 77, 0.5), 'long');
      for (const n of [1, 3, 5, 17]) {
        const short = runBoth(kernels, [new Float32Array(n).fill(1), new Float32Array(n), new Float32Array(n)], [3, 1, 2],
          (k, [px, pout, pmask]) => k.dropoutForward(n, px!, pout!, pmask!, 77, 0.5), 'short');
        expectBitIdentical(short.got[2]!, long.got[2]!.subarray(0, n), `prefix of length ${n}`);
      }
    });

    it('works in place (out = x)', () => {
      const n = 1023;
      const x = randomArray(n, randomUniform(5));
      const apart = runBoth(kernels, [x, new Float32Array(n), new Float32Array(n)], [0, 1, 2],
        (k, [px, pout, pmask]) => k.dropoutForward(n, px!, pout!, pmask!, 9, 0.25), 'apart');
      const inPlace = runBoth(kernels, [x, new Float32Array(n)], [1, 3],
        (k, [px, pmask]) => k.dropoutForward(n, px!, px!, pmask!, 9, 0.25), 'in place');
      expectBitIdentical(inPlace.got[0]!, apart.got[1]!, 'in-place out');
      expectBitIdentical(inPlace.got[1]!, apart.got[2]!, 'in-place mask');
    });
  });

  describe('mulInto', () => {
    it.each(CASES)('n=%i, misalignment %i', (n, phase) => {
      const random = randomUniform(n * 64 + phase + 5);
      const dx = randomArray(n, random), dout = randomArray(n, random);
      const mask = Float32Array.from({ length: n }, () => (random() < 0 ? 0 : Math.fround(1 / 0.8)));
      const { got, expected } = runBoth(kernels, [dx, dout, mask], shiftsFor(phase, 3),
        (k, [pdx, pdout, pmask]) => k.mulInto(n, pdx!, pdout!, pmask!), `mulInto n=${n}`);
      expectBitIdentical(got[0]!, expected[0]!, `mulInto dx, n=${n}`);
      expectBitIdentical(got[1]!, dout, `mulInto dout is read only, n=${n}`);
    });
  });

  describe('reluBackward', () => {
    it.each(CASES)('n=%i, misalignment %i (y holds positives, negatives, 0, -0 and NaN)', (n, phase) => {
      const random = randomUniform(n * 128 + phase + 6);
      const specials = [0, -0, NaN, 1e-38, -1e-38];
      const y = Float32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? specials[i % specials.length]! : random()));
      const dout = randomArray(n, random);
      const dz = new Float32Array(n).fill(99);
      const { got, expected } = runBoth(kernels, [dz, dout, y], shiftsFor(phase, 3),
        (k, [pdz, pdout, py]) => k.reluBackward(n, pdz!, pdout!, py!), `reluBackward n=${n}`);
      expectBitIdentical(got[0]!, expected[0]!, `reluBackward dz, n=${n}`);
      // In place (dz = dout) gives the same numbers.
      const inPlace = runBoth(kernels, [dout, y], shiftsFor(phase + 1, 2), (k, [pdout, py]) => k.reluBackward(n, pdout!, pdout!, py!), 'in place');
      expectBitIdentical(inPlace.got[0]!, expected[0]!, `reluBackward in place, n=${n}`);
    });
  });

  describe('columnSumsInto', () => {
    // Columns cross every block size of the kernel (32 columns, 4 columns, single columns).
    const SHAPES: [number, number][] = [
      [0, 5], [1, 0], [1, 1], [3, 3], [4, 4], [5, 17], [17, 31], [2, 32], [3, 33], [7, 65], [128, 512], [128, 10], [1, 1023],
    ];
    it.each(SHAPES)('rows=%i cols=%i, every misalignment', (rows, cols) => {
      for (let phase = 0; phase < 4; phase++) {
        const random = randomUniform(rows * 1000 + cols + phase);
        const db = randomArray(cols, random), dz = randomArray(rows * cols, random, 2);
        const { got, expected } = runBoth(kernels, [db, dz], shiftsFor(phase, 2),
          (k, [pdb, pdz]) => k.columnSumsInto(rows, cols, pdb!, pdz!), `columnSumsInto ${rows}x${cols}`);
        expectBitIdentical(got[0]!, expected[0]!, `columnSumsInto db, ${rows}x${cols}, misalignment ${phase}`);
        expectBitIdentical(got[1]!, dz, `columnSumsInto dz is read only`);
      }
    });
  });

  describe('fill', () => {
    it.each(CASES)('n=%i, misalignment %i', (n, phase) => {
      for (const value of [0, -0, 1.5, NaN, -3e38]) {
        const { got, expected } = runBoth(kernels, [randomArray(n, randomUniform(n + phase))], [phase],
          (k, [p]) => k.fill(n, p!, value), `fill n=${n}`);
        expectBitIdentical(got[0]!, expected[0]!, `fill ${value}, n=${n}`);
      }
    });
  });

  it('rejects counts that are not non-negative integers, and a dropout rate outside [0, 1)', () => {
    const p = alloc(64);
    try {
      expect(() => kernels.fill(-1, p, 0)).toThrow(RangeError);
      expect(() => kernels.mulInto(2.5, p, p, p)).toThrow(/mulInto expected a non-negative integer count, got 2.5/);
      expect(() => kernels.adamUpdate(NaN, p, p, p, p, 1, 0.9, 0.999, 1e-7)).toThrow(RangeError);
      expect(() => kernels.columnSumsInto(1, -2, p, p)).toThrow(/columnSumsInto/);
      expect(() => kernels.dropoutForward(4, p, p, p, 1, 1)).toThrow(/rate in \[0, 1\), got 1/);
      expect(() => kernels.dropoutForward(4, p, p, p, 1, NaN)).toThrow(RangeError);
    } finally {
      free(p, 64);
    }
  });
});

// ---- the dropout mask as a random variable ------------------------------------------------------

describe('dropout mask statistics (wasm)', () => {
  const kernels = kernelsByBuild.get('simd')!;
  const n = 1 << 20;

  /** The mask of n elements as booleans (kept), from the WASM kernel. */
  function keptFlags(seed: number, rate: number): Uint8Array {
    const { got } = runBoth(kernels, [new Float32Array(n).fill(1), new Float32Array(n), new Float32Array(n)], [0],
      (k, [px, pout, pmask]) => k.dropoutForward(n, px!, pout!, pmask!, seed, rate), 'statistics');
    const scale = Math.fround(1 / (1 - rate));
    const mask = got[2]!;
    const flags = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (mask[i] !== 0 && mask[i] !== scale) expect.fail(`mask[${i}] = ${mask[i]}, expected 0 or ${scale}`);
      flags[i] = mask[i] === scale ? 1 : 0;
    }
    return flags;
  }

  /** Expects a frequency within 5 standard deviations of p over `count` Bernoulli trials. */
  function expectFrequency(hits: number, count: number, p: number, what: string): void {
    const sigma = Math.sqrt((p * (1 - p)) / count);
    const frequency = hits / count;
    expect(Math.abs(frequency - p), `${what}: frequency ${frequency}, expected ${p} ± 5·${sigma.toExponential(2)}`).toBeLessThanOrEqual(5 * sigma);
  }

  it.each([0.1, 0.2, 0.5, 0.9])('rate %f: each element kept with probability 1 - rate; neighbours independent', (rate) => {
    const keep = 1 - rate;
    for (const seed of [3, 0xdeadbeef]) {
      const flags = keptFlags(seed, rate);
      let kept = 0;
      for (let i = 0; i < n; i++) kept += flags[i]!;
      expectFrequency(kept, n, keep, `keep rate, seed ${seed}`);
      // Pairs at lag 1 (neighbours), 4 (the next f32x4 lane group), 512 (the next row of a 512-wide
      // layer): both kept as often as two independent draws would be.
      for (const lag of [1, 4, 512]) {
        let both = 0;
        for (let i = 0; i + lag < n; i++) both += flags[i]! & flags[i + lag]!;
        expectFrequency(both, n - lag, keep * keep, `both kept at lag ${lag}, seed ${seed}`);
      }
    }
  });

  it('gives unrelated masks for different seeds, even adjacent ones', () => {
    const rate = 0.5;
    for (const [a, b] of [[1, 2], [41, 42], [0, 0x80000000]]) {
      const first = keptFlags(a!, rate), second = keptFlags(b!, rate);
      let agree = 0;
      for (let i = 0; i < n; i++) agree += first[i] === second[i] ? 1 : 0;
      expectFrequency(agree, n, 0.5, `agreement between seeds ${a} and ${b}`);
    }
  });

  it('keeps everything at rate 0 and almost nothing at rate 0.999', () => {
    const all = keptFlags(5, 0);
    expect(all.every((f) => f === 1)).toBe(true);
    const few = keptFlags(5, 0.999);
    let kept = 0;
    for (let i = 0; i < n; i++) kept += few[i]!;
    expectFrequency(kept, n, 0.001, 'keep rate at 0.999');
  });
});

// ---- dispatch through kernels/index.ts ----------------------------------------------------------

describe('kernels/index.ts dispatch', () => {
  afterEach(() => setBackend('wasm'));

  it('routes the element-wise kernels to the chosen backend; both backends draw the same dropout mask', () => {
    const n = 37;
    const x = randomArray(n, randomUniform(11)), g = randomArray(n, randomUniform(12));
    const zeros = new Float32Array(n);
    const masks: Float32Array[] = [];
    for (const [name, direct] of [['js', referenceKernels], ['wasm', wasmKernels!]] as const) {
      setBackend(name);
      expect(getBackend()).toBe(name);
      // Through index.ts on one set of arrays, straight to the backend on the other: the same bits.
      const dropout = runPair([x, zeros, zeros], [1, 2, 3],
        ([px, pout, pmask]) => direct.dropoutForward(n, px!, pout!, pmask!, 123, 0.4),
        ([px, pout, pmask]) => dropoutForward(n, px!, pout!, pmask!, 123, 0.4), `dropout via ${name}`);
      dropout.got.forEach((array, i) => expectBitIdentical(array, dropout.expected[i]!, `dropout array ${i}, ${name}`));
      masks.push(dropout.got[2]!);
      const adam = runPair([x, g, zeros, zeros], [0, 1, 2, 3],
        ([pw, pg, pm, pv]) => direct.adamUpdate(n, pw!, pg!, pm!, pv!, 0.01, 0.9, 0.999, 1e-7),
        ([pw, pg, pm, pv]) => adamUpdate(n, pw!, pg!, pm!, pv!, 0.01, 0.9, 0.999, 1e-7), `adam via ${name}`);
      adam.got.forEach((array, i) => expectBitIdentical(array, adam.expected[i]!, `adam array ${i}, ${name}`));
    }
    expectBitIdentical(masks[0]!, masks[1]!, 'dropout mask, js vs wasm backend');
    expect(masks[0]!.some((v) => v === 0) && masks[0]!.some((v) => v !== 0)).toBe(true);
  });
});
