// tests/kernels/builds/elementwise.test.ts — the WASM element-wise kernels (optimizer updates,
// dropout, mulInto, ReLU backward, bias column sums, fill, findNonFinite) of each compiled build under test
// (tests/kernels/builds.ts) against the TypeScript reference, on ragged lengths at every 16-byte
// misalignment. Not a benchmark (no timings here).
//
// The files in tests/kernels/builds/ are the ones that depend on the build: vitest.config.ts runs
// them again in the relaxed-SIMD project, for the relaxed build only.

import { describe, expect, it } from 'vitest';
import { lowbias32 } from '../../../kernels/index.js';
import { randomUniform } from '../../seeded.js';
import { CASES, EPS32, expectBitIdentical, expectClose, randomArray, runBoth, shiftsFor } from '../arrays.js';
import { builds, kernelsByBuild } from '../builds.js';

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
          // Without a mask (pointer 0), in place: the same output, nothing else written.
          const maskless = runBoth(kernels, [x], [phase], (k, [px]) => k.dropoutForward(n, px!, px!, 0, seed, rate), `dropout no mask n=${n}`);
          expectBitIdentical(maskless.got[0]!, expected[1]!, `dropout without a mask, n=${n} seed=${seed} rate=${rate}`);
          expectBitIdentical(maskless.expected[0]!, expected[1]!, `reference dropout without a mask, n=${n}`);
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
      // With a dropout's scale 1/(1 - rate) (rounded to float32 inside): dz = dout·scale where y > 0.
      const scaled = runBoth(kernels, [dz, dout, y], shiftsFor(phase + 2, 3),
        (k, [pdz, pdout, py]) => k.reluBackward(n, pdz!, pdout!, py!, 1 / (1 - 0.3)), `reluBackward scaled n=${n}`);
      expectBitIdentical(scaled.got[0]!, scaled.expected[0]!, `reluBackward scaled dz, n=${n}`);
      const scale = Math.fround(1 / 0.7);
      scaled.got[0]!.forEach((v, i) => {
        if (!Object.is(v, y[i]! > 0 ? Math.fround(dout[i]! * scale) : 0)) expect.fail(`reluBackward scaled, element ${i}: ${v}`);
      });
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

  describe('findNonFinite', () => {
    // Past the kernel's 64-float blocks and their scalar tail; every 16-byte misalignment.
    const lengths = [0, 1, 3, 4, 5, 17, 63, 64, 65, 130, 1023];
    // Finite floats with large exponents: 1.0 (0x3f800000) and 2.0 (0x40000000) in the same lane
    // would OR to the all-ones exponent of Infinity; the float32 maximum has the largest finite one.
    const finite = [1, 2, 3.4028234663852886e38, -3.4028234663852886e38, -0, 1e-45, 0.5];
    // NaN of both signs and with a payload (its bits by hand), +Infinity, -Infinity.
    const bits = new Uint32Array([0x7fc00000, 0xffc00000, 0x7f800001]);
    const bad = [...new Float32Array(bits.buffer), Infinity, -Infinity];
    const search = (n: number, values: Float32Array, phase: number) => {
      let got = -2, expected = -2;
      runBoth(kernels, [values], [phase], (k, [p]) => {
        if (k === kernels) got = k.findNonFinite(n, p!);
        else expected = k.findNonFinite(n, p!);
      }, `findNonFinite n=${n}`);
      return { got, expected };
    };
    it.each(lengths)('n=%i at every misalignment: -1 for finite floats, else the first bad index', (n) => {
      for (let phase = 0; phase < 4; phase++) {
        const values = Float32Array.from({ length: n }, (_, i) => finite[i % finite.length]!);
        expect(search(n, values, phase)).toEqual({ got: -1, expected: -1 });
        const positions = [...new Set([0, 1, 62, 63, 64, 65, n >> 1, n - 2, n - 1].filter((i) => i >= 0 && i < n))];
        positions.forEach((at, k) => {
          const withBad = values.slice();
          withBad[at] = bad[k % bad.length]!;
          if (at + 5 < n) withBad[at + 5] = bad[(k + 1) % bad.length]!; // a later one too: the first counts
          expect(search(n, withBad, phase), `bad at ${at}, misalignment ${phase}`).toEqual({ got: at, expected: at });
        });
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
});
