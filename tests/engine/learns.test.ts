// tests/engine/learns.test.ts — the engine end to end: small seeded nets trained with Adam in a plain
// loop (one scoped() per step) learn XOR and two moons, and the same seed gives the same weights.

import { describe, expect, it } from 'vitest';
import {
  Adam, Random, argmax, binaryCrossEntropy, linear, noGrad, parameter, scoped, softmaxCrossEntropy, tanh, tensor, zeros,
  type Tensor,
} from '../../engine/index.js';

/** Keras' glorot_uniform: U(-limit, limit) with limit = sqrt(6 / (fanIn + fanOut)). */
function glorotUniform(fanIn: number, fanOut: number, random: Random): Tensor {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return parameter(tensor(Float32Array.from({ length: fanIn * fanOut }, () => (2 * random.uniform() - 1) * limit), [fanIn, fanOut]));
}

interface Net {
  params: Tensor[];
  /** Logits for a batch. */
  forward: (x: Tensor) => Tensor;
}

/** in -> hidden (tanh or relu) -> out, weights from `seed`. */
function twoLayerNet(inputs: number, hidden: number, outputs: number, activation: 'tanh' | 'relu', seed: number): Net {
  const random = new Random(seed);
  const W1 = glorotUniform(inputs, hidden, random), b1 = parameter(zeros([hidden]));
  const W2 = glorotUniform(hidden, outputs, random), b2 = parameter(zeros([outputs]));
  return {
    params: [W1, b1, W2, b2],
    forward: (x) => {
      const h = activation === 'relu' ? linear(x, W1, b1, { relu: true }) : tanh(linear(x, W1, b1));
      return linear(h, W2, b2);
    },
  };
}

/** The plain loop: every step in its own scope, gradients zeroed, one backward, one update. */
function train(net: Net, x: Tensor, loss: (logits: Tensor) => Tensor, learningRate: number, steps: number): number[] {
  const optimizer = new Adam({ learningRate });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    losses.push(
      scoped(() => {
        for (const p of net.params) p.zeroGrad();
        const l = loss(net.forward(x));
        l.backward();
        optimizer.step(net.params);
        return l.item();
      }),
    );
  }
  return losses;
}

/** Two interleaving half circles (scikit-learn's make_moons), with Gaussian noise, from `seed`. */
function twoMoons(n: number, noise: number, seed: number): { x: Tensor; y: Tensor } {
  const random = new Random(seed);
  const x = new Float32Array(n * 2), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const angle = Math.PI * random.uniform();
    const px = label === 0 ? Math.cos(angle) : 1 - Math.cos(angle);
    const py = label === 0 ? Math.sin(angle) : 0.5 - Math.sin(angle);
    x[2 * i] = px + noise * random.normal();
    x[2 * i + 1] = py + noise * random.normal();
    y[i] = label;
  }
  return { x: tensor(x, [n, 2]), y: tensor(y, [n]) };
}

function trainMoons(seed: number): { net: Net; accuracy: number; losses: number[] } {
  const { x, y } = twoMoons(200, 0.1, 1);
  const net = twoLayerNet(2, 32, 2, 'relu', seed);
  const losses = train(net, x, (logits) => softmaxCrossEntropy(logits, y), 0.02, 600);
  const predicted = noGrad(() => scoped(() => Array.from(argmax(net.forward(x)).data)));
  const accuracy = predicted.filter((p, i) => p === y.data[i]).length / y.size;
  return { net, accuracy, losses };
}

describe('a two-layer net trained with Adam', () => {
  it('learns XOR (2-16-1, tanh, binaryCrossEntropy from logits): all four right', () => {
    const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = tensor([[0], [1], [1], [0]]);
    const net = twoLayerNet(2, 16, 1, 'tanh', 42);
    const losses = train(net, x, (logits) => binaryCrossEntropy(logits, y, { fromLogits: true }), 0.05, 300);
    const logits = noGrad(() => scoped(() => Array.from(net.forward(x).data)));
    expect(logits.map((z) => (z > 0 ? 1 : 0))).toEqual([0, 1, 1, 0]);
    expect(losses[losses.length - 1]).toBeLessThan(0.05);
    expect(losses[0]).toBeGreaterThan(0.5); // it started out not knowing
  });

  it('learns two moons (2-32-2, relu, softmaxCrossEntropy): at least 95% train accuracy', () => {
    const { accuracy, losses } = trainMoons(7);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    expect(losses[losses.length - 1]).toBeLessThan(0.15);
  });

  it('gives bit-identical weights for the same seed, and other weights for another', () => {
    const bits = (net: Net) => net.params.map((p) => Array.from(new Uint32Array(Float32Array.from(p.data).buffer)));
    const first = trainMoons(7);
    const second = trainMoons(7);
    expect(bits(second.net)).toEqual(bits(first.net));
    expect(second.losses).toEqual(first.losses);
    expect(bits(trainMoons(8).net)).not.toEqual(bits(first.net));
  });
});
