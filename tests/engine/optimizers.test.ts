// tests/engine/optimizers.test.ts — SGD (plain, momentum, Nesterov), RMSprop (with and without
// momentum) and Adam against Keras' update formulas worked in float64, Keras' defaults, and errors.

import { describe, expect, it } from 'vitest';
import { Adam, RMSprop, SGD, getBackend, parameter, setBackend, tensor, type Optimizer, type Tensor } from '../../engine/index.js';

const W0 = [0.5, -1.5, 2];
const G = [0.2, -0.4, 0.03]; // a fixed gradient, one small entry (where epsilon matters more)

/** Runs `steps` steps of the optimizer on a copy of W0 with gradient G; the weights after each. */
function run(optimizer: Optimizer, steps: number): number[][] {
  const w = parameter(tensor(W0));
  w.grad = tensor(G);
  const after: number[][] = [];
  for (let s = 0; s < steps; s++) {
    optimizer.step([w]);
    after.push(Array.from(w.data));
  }
  expect(optimizer.iterations).toBe(steps);
  return after;
}

/**
 * Compares with float64 expectations. Weights and state are float32, so each step may be off by a
 * few float32 roundings of the numbers involved: 1e-6 relative to max(1, |w|) is 8 ulps at 1.
 */
function expectWeights(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, step) =>
    row.forEach((v, i) => {
      const e = expected[step][i];
      expect(Math.abs(v - e), `step ${step + 1}, weight ${i}: got ${v}, expected ${e}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e)));
    }),
  );
}

// ---- Keras' formulas, in float64, one weight at a time -----------------------------------------

function sgdByHand(lr: number, momentum: number, nesterov: boolean, steps: number): number[][] {
  const w = [...W0], v = W0.map(() => 0), out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < w.length; i++) {
      if (momentum === 0) w[i] = w[i] - lr * G[i];
      else {
        v[i] = momentum * v[i] - lr * G[i];
        w[i] = nesterov ? w[i] + momentum * v[i] - lr * G[i] : w[i] + v[i];
      }
    }
    out.push([...w]);
  }
  return out;
}

function rmspropByHand(lr: number, rho: number, momentum: number, epsilon: number, steps: number): number[][] {
  const w = [...W0], ms = W0.map(() => 0), mom = W0.map(() => 0), out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < w.length; i++) {
      ms[i] = rho * ms[i] + (1 - rho) * G[i] * G[i];
      const increment = (lr * G[i]) / Math.sqrt(ms[i] + epsilon);
      if (momentum === 0) w[i] -= increment;
      else {
        mom[i] = momentum * mom[i] + increment;
        w[i] -= mom[i];
      }
    }
    out.push([...w]);
  }
  return out;
}

function adamByHand(lr: number, beta1: number, beta2: number, epsilon: number, steps: number): number[][] {
  const w = [...W0], m = W0.map(() => 0), v = W0.map(() => 0), out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const alpha = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    for (let i = 0; i < w.length; i++) {
      m[i] = beta1 * m[i] + (1 - beta1) * G[i];
      v[i] = beta2 * v[i] + (1 - beta2) * G[i] * G[i];
      w[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + epsilon);
    }
    out.push([...w]);
  }
  return out;
}

// ---- the tests ---------------------------------------------------------------------------------

describe('SGD', () => {
  it('plain: w -= lr · g', () => {
    const after = run(new SGD({ learningRate: 0.1 }), 3);
    expectWeights(after, sgdByHand(0.1, 0, false, 3));
    expectWeights([after[0]], [[0.48, -1.46, 1.997]]); // worked out on paper
  });

  it('with momentum: v = μv - lr·g; w += v', () => {
    const after = run(new SGD({ learningRate: 0.1, momentum: 0.9 }), 3);
    expectWeights(after, sgdByHand(0.1, 0.9, false, 3));
    // The first weight on paper: v = -0.02, -0.038, -0.0542; w = 0.48, 0.442, 0.3878.
    expectWeights(after.map((w) => [w[0]]), [[0.48], [0.442], [0.3878]]);
  });

  it('with Nesterov momentum: v = μv - lr·g; w += μv - lr·g', () => {
    const after = run(new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }), 3);
    expectWeights(after, sgdByHand(0.1, 0.9, true, 3));
    // On paper: w = 0.5 - 0.018 - 0.02 = 0.462, then 0.462 - 0.0342 - 0.02 = 0.4078, then 0.33902.
    expectWeights(after.map((w) => [w[0]]), [[0.462], [0.4078], [0.33902]]);
    // And it differs from plain momentum (the test could tell them apart).
    expect(after[1][0]).not.toBeCloseTo(0.442, 3);
  });

  it("has Keras' defaults: learningRate 0.01, momentum 0, nesterov false", () => {
    const sgd = new SGD();
    expect(sgd.getConfig()).toEqual({ name: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false });
    expectWeights(run(new SGD(), 2), sgdByHand(0.01, 0, false, 2));
  });
});

describe('RMSprop', () => {
  it('without momentum: ms = ρ·ms + (1-ρ)·g²; w -= lr·g / sqrt(ms + ε)', () => {
    const after = run(new RMSprop({ learningRate: 0.01, rho: 0.8, epsilon: 1e-3 }), 3);
    expectWeights(after, rmspropByHand(0.01, 0.8, 0, 1e-3, 3));
    // Step 1 on paper, first weight: ms = 0.2·0.04 = 0.008; w = 0.5 - 0.002 / sqrt(0.009).
    expectWeights([[after[0][0]]], [[0.5 - 0.002 / Math.sqrt(0.009)]]);
  });

  it('with momentum: mom = μ·mom + lr·g / sqrt(ms + ε); w -= mom', () => {
    const after = run(new RMSprop({ learningRate: 0.01, rho: 0.8, momentum: 0.5, epsilon: 1e-3 }), 3);
    expectWeights(after, rmspropByHand(0.01, 0.8, 0.5, 1e-3, 3));
    expect(after[2][0]).not.toBeCloseTo(rmspropByHand(0.01, 0.8, 0, 1e-3, 3)[2][0], 3);
  });

  it("reproduces the example in Keras' RMSprop docstring: 10 -> 9.683772", () => {
    // opt = RMSprop(learning_rate=0.1); var1 = 10; loss = var1² / 2 (gradient var1); one minimize.
    const w = parameter(tensor([10]));
    w.grad = tensor([10]);
    new RMSprop({ learningRate: 0.1 }).step([w]);
    expect(w.data[0]).toBeCloseTo(9.683772, 6);
  });

  it("has Keras' defaults: learningRate 1e-3, rho 0.9, momentum 0, epsilon 1e-7", () => {
    expect(new RMSprop().getConfig()).toEqual({ name: 'rmsprop', learningRate: 1e-3, rho: 0.9, momentum: 0, epsilon: 1e-7 });
    expectWeights(run(new RMSprop(), 3), rmspropByHand(1e-3, 0.9, 0, 1e-7, 3));
  });
});

describe('Adam', () => {
  it("follows Keras' form: epsilon after the square root, bias corrections folded into the step", () => {
    // A large epsilon makes the form visible: the paper's form (ε added to sqrt(v̂), not sqrt(v))
    // would give other numbers.
    const after = run(new Adam({ learningRate: 0.1, beta1: 0.8, beta2: 0.9, epsilon: 0.1 }), 3);
    expectWeights(after, adamByHand(0.1, 0.8, 0.9, 0.1, 3));
    // Step 1 on paper, first weight: m = 0.04, v = 0.004, α = 0.1·sqrt(0.1)/0.2; w = 0.5 - α·0.04/(sqrt(0.004) + 0.1).
    const alpha = (0.1 * Math.sqrt(0.1)) / 0.2;
    expectWeights([[after[0][0]]], [[0.5 - (alpha * 0.04) / (Math.sqrt(0.004) + 0.1)]]);
    const paperForm = 0.5 - (0.1 * (0.04 / 0.2)) / (Math.sqrt(0.004 / 0.1) + 0.1);
    expect(Math.abs(after[0][0] - paperForm)).toBeGreaterThan(1e-3);
  });

  it("has Keras' defaults: learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7", () => {
    expect(new Adam().getConfig()).toEqual({ name: 'adam', learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    const after = run(new Adam(), 3);
    expectWeights(after, adamByHand(1e-3, 0.9, 0.999, 1e-7, 3));
    // Adam's first steps move every weight by about lr, whatever the gradient's size.
    after[0].forEach((w, i) => expect(Math.abs(w - W0[i])).toBeCloseTo(1e-3, 5));
  });
});

describe("a long parameter, on the 'js' and 'wasm' backends", () => {
  // 1027 elements = 256 groups of four and a tail of 3: the WASM kernels' SIMD body and scalar
  // tail both run. Element i starts at W0[i % 3] with gradient G[i % 3], so it must follow the
  // hand-worked 3-element expectation of index i % 3.
  const n = 1027;
  for (const backend of ['js', 'wasm'] as const) {
    it(`SGD (Nesterov), RMSprop (momentum) and Adam follow Keras' formulas on every element, '${backend}' backend`, () => {
      const previous = getBackend();
      setBackend(backend);
      try {
        const cases: [Optimizer, number[][]][] = [
          [new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }), sgdByHand(0.1, 0.9, true, 3)],
          [new RMSprop({ learningRate: 0.01, rho: 0.8, momentum: 0.5, epsilon: 1e-3 }), rmspropByHand(0.01, 0.8, 0.5, 1e-3, 3)],
          [new Adam(), adamByHand(1e-3, 0.9, 0.999, 1e-7, 3)],
        ];
        for (const [optimizer, expected] of cases) {
          const w = parameter(tensor(Array.from({ length: n }, (_, i) => W0[i % 3])));
          w.grad = tensor(Array.from({ length: n }, (_, i) => G[i % 3]));
          const actual: number[][] = [];
          for (let s = 0; s < 3; s++) {
            optimizer.step([w]);
            actual.push(Array.from(w.data));
          }
          expectWeights(actual, expected.map((row) => Array.from({ length: n }, (_, i) => row[i % 3])));
        }
      } finally {
        setBackend(previous);
      }
    });
  }
});

describe('every optimizer', () => {
  it('skips a parameter without a gradient and keeps state per parameter', () => {
    const adam = new Adam({ learningRate: 0.1 });
    const a = parameter(tensor(W0)), b = parameter(tensor(W0)), idle: Tensor = parameter(tensor([1, 2]));
    a.grad = tensor(G);
    b.grad = tensor(G.map((g) => -g));
    adam.step([a, b, idle]);
    adam.step([a, b, idle]);
    expect(Array.from(idle.data)).toEqual([1, 2]);
    expectWeights([Array.from(a.data)], [adamByHand(0.1, 0.9, 0.999, 1e-7, 2)[1]]);
    // b saw the opposite gradient from its own zero state: it moved the opposite way by as much.
    Array.from(b.data).forEach((w, i) => expect(w - W0[i]).toBeCloseTo(-(a.data[i] - W0[i]), 6));
  });

  it('rejects a learningRate that is not a positive finite number', () => {
    for (const make of [(lr: number) => new SGD({ learningRate: lr }), (lr: number) => new RMSprop({ learningRate: lr }), (lr: number) => new Adam({ learningRate: lr })]) {
      for (const bad of [0, -0.1, NaN, Infinity]) {
        expect(() => make(bad)).toThrow(`wasmgrad: an optimizer's learningRate must be a positive number, got ${bad}`);
      }
    }
  });

  it('rejects momentum and betas out of range', () => {
    expect(() => new SGD({ momentum: 1.5 })).toThrow('wasmgrad: SGD momentum must be in [0, 1], got 1.5');
    expect(() => new SGD({ momentum: -0.1 })).toThrow(/momentum must be in \[0, 1\], got -0.1/);
    expect(() => new Adam({ beta1: 1 })).toThrow('wasmgrad: Adam beta1 must be in [0, 1), got 1');
    expect(() => new Adam({ beta2: -0.5 })).toThrow('wasmgrad: Adam beta2 must be in [0, 1), got -0.5');
  });
});
