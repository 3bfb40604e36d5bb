// tests/browser/pages/train.ts — a page that imports wasmgrad statically, as most will: after
// `await ready()` the backend is WASM (isolated or not), and a small model learns a task to its
// target: two interleaved spirals, which no linear model separates, to >= 95% accuracy.

import { Dense, Sequential, getBackend, ready, setSeed, tensor } from 'wasmgrad';
import { check, note, runPage } from '../lib/report.js';

/** n points on two spirals, labels 0/1 as one-hot pairs. */
export function spirals(n: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(n * 2), y = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const label = i % 2, t = (i / n) * 3 * Math.PI + 0.5;
    const r = t / (3 * Math.PI + 0.5);
    x[2 * i] = r * Math.cos(t + label * Math.PI);
    x[2 * i + 1] = r * Math.sin(t + label * Math.PI);
    y[2 * i + label] = 1;
  }
  return { x, y };
}

runPage(async () => {
  await ready();
  check('the backend is wasm', getBackend() === 'wasm', getBackend());
  setSeed(1);
  const { x, y } = spirals(600);
  const model = new Sequential();
  model.add(new Dense(64, { inputShape: [2], activation: 'relu' }));
  model.add(new Dense(64, { activation: 'relu' }));
  model.add(new Dense(2, { activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const started = performance.now();
  const xs = tensor(x, [600, 2]), ys = tensor(y, [600, 2]);
  await model.fit(xs, ys, { epochs: 150, batchSize: 32, verbose: 0 });
  const [, accuracy] = model.evaluate(xs, ys, { verbose: 0 });
  check('a 2-64-64-2 MLP learns the two spirals to >= 95% accuracy', accuracy! >= 0.95, `accuracy ${accuracy!.toFixed(4)}`);
  note('150 epochs of the spirals, s', ((performance.now() - started) / 1000).toFixed(2));
});
