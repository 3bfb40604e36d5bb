// tests/nn/concurrent.test.ts — one model, one fit at a time: a second fit() while one runs is
// refused with a clear error (the first goes on unharmed), stopTraining belongs to the fit that
// runs, and predict/evaluate during fit (from a callback, or from other code while fit awaits)
// see the weights of a whole number of steps, never half an update.

import { describe, expect, it } from 'vitest';
import { Dense, Sequential, setSeed, tensor, type Tensor } from '../../index.js';

function model(): Sequential {
  setSeed(9);
  const m = new Sequential([new Dense(8, { inputShape: [4], activation: 'relu' }), new Dense(3, { activation: 'softmax' })]);
  m.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}

function data(n: number): { x: Tensor; y: Tensor } {
  const x = new Float32Array(n * 4), y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 4; j++) x[i * 4 + j] = ((i * 13 + j * 7) % 11) / 11 + (j === i % 3 ? 1 : 0);
    y[i * 3 + (i % 3)] = 1;
  }
  return { x: tensor(x, [n, 4]), y: tensor(y, [n, 3]) };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('one fit at a time', () => {
  it('refuses a second fit() while the first runs, and the first finishes its epochs', async () => {
    const m = model();
    const { x, y } = data(64);
    const first = m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    await expect(m.fit(x, y, { epochs: 1, verbose: 0 })).rejects.toThrow(/fit\(\) was called while an earlier fit\(\) of model 'sequential(_\d+)?' is still running; await it first/);
    const history = await first;
    expect(history.history.loss).toHaveLength(3);
    await expect(m.fit(x, y, { epochs: 1, verbose: 0 })).resolves.toBeDefined(); // and fits again afterwards
  });

  it('allows the next fit after one that failed', async () => {
    const m = model();
    const { x, y } = data(16);
    await expect(m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [{ onEpochEnd: () => { throw new Error('callback broke'); } }] })).rejects.toThrow('callback broke');
    await expect(m.fit(x, y, { epochs: 1, verbose: 0 })).resolves.toBeDefined();
  });

  it('refuses compile() and build changes while fit runs (they would swap the optimizer mid-training)', async () => {
    const m = model();
    const { x, y } = data(32);
    const run = m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' })).toThrow(/compile\(\) was called while fit\(\) of model .* is running/);
    await run;
  });

  it('stopTraining set before fit() does not stop it; set by a callback it stops that fit only', async () => {
    const m = model();
    const { x, y } = data(16);
    m.stopTraining = true; // left over from somewhere: a new fit starts afresh
    expect((await m.fit(x, y, { epochs: 2, verbose: 0 })).history.loss).toHaveLength(2);
    const stopped = await m.fit(x, y, { epochs: 5, verbose: 0, callbacks: [{ onEpochEnd: (epoch: number) => { if (epoch === 1) m.stopTraining = true; } }] });
    expect(stopped.history.loss).toHaveLength(2);
    expect((await m.fit(x, y, { epochs: 3, verbose: 0 })).history.loss).toHaveLength(3);
  });
});

describe('predict and evaluate during fit', () => {
  it('from a callback: the weights after that many whole steps (the same as a model trained that far alone)', async () => {
    const { x, y } = data(32);
    const seen: number[][] = [];
    const m = model();
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false, callbacks: [{ onBatchEnd: () => { seen.push(Array.from(m.predict(x).data)); } }] });
    for (let steps = 1; steps <= 4; steps++) {
      const alone = model();
      await alone.fit(sliceOf(x, steps * 8), sliceOf(y, steps * 8), { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
      expect(seen[steps - 1]).toEqual(Array.from(alone.predict(x).data));
    }
  });

  it('from other code while fit awaits: every answer is finite, and the fit finishes unharmed', async () => {
    const m = model();
    const { x, y } = data(256);
    let running = true;
    const answers: number[] = [];
    // fit awaits its callbacks; one that waits a turn of the event loop after each batch lets the
    // loop below run between batches however fast the machine is (fit's own yields come only
    // after 25 ms of work, which a fast machine may never reach in this small fit).
    const aTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const run = m.fit(x, y, { epochs: 4, batchSize: 4, verbose: 0, callbacks: [{ onBatchEnd: aTurn }] }).finally(() => { running = false; });
    while (running) {
      const [loss] = m.evaluate(x, y, { verbose: 0 });
      answers.push(loss);
      expect(Number.isFinite(loss)).toBe(true);
      await tick();
    }
    expect((await run).history.loss).toHaveLength(4);
    expect(answers.length).toBeGreaterThan(1);
  });
});

/** The first n samples, as a copy (the model must not see the rest). */
function sliceOf(t: Tensor, n: number): Tensor {
  const row = t.size / t.shape[0];
  return tensor(t.data.slice(0, n * row), [n, ...t.shape.slice(1)]);
}
