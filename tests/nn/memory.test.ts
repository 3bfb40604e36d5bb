// tests/nn/memory.test.ts — memory stays flat while a model trains: after the first epoch, epochs of
// fit + predict + evaluate take no new WebAssembly memory (memoryStats().bytesReserved and the size
// of the memory itself). Deterministic figures only; RSS is reported by bench/soak.ts, not tested.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Dense, Dropout, ReLU, Sequential, setSeed, tensor, toCategorical, type Tensor } from '../../index.js';
import { memoryStats, randomUniform } from '../../engine/index.js';
import { threadsReady } from '../../kernels/index.js';

// predict() returns a tensor outside any training scope: its block goes back to the allocator when
// the garbage collector collects it. V8 does not see WebAssembly memory as pressure, so the test
// forces the collection (a full GC, then a turn of the event loop for FinalizationRegistry).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collect(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** 3 classes of 6 features; the class is the index of the largest of the first 3. */
function blobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const x = new Float32Array(n * 6), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 6; j++) x[i * 6 + j] = rand() - 0.5 + (j === i % 3 ? 1 : 0);
    y[i] = i % 3;
  }
  return { x: tensor(x, [n, 6]), y: tensor(y, [n]) };
}

function model(): Sequential {
  setSeed(11);
  const m = new Sequential([new Dense(32, { inputShape: [6] }), new ReLU(), new Dropout(0.2), new Dense(3, { activation: 'softmax' })]);
  m.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}

const figures = () => {
  const { bytesReserved, memoryBytes, bytesInUse } = memoryStats();
  return { bytesReserved, memoryBytes, bytesInUse };
};

describe('memory over epochs', () => {
  it('fit + predict + evaluate: bytesReserved, bytes in use and the memory size are flat after the first epoch', async () => {
    await collect(); // what earlier tests left is freed now, not during an epoch measured below
    const m = model();
    const train = blobs(300, 1), test = blobs(90, 2);
    const yTrain = toCategorical(train.y, 3), yTest = toCategorical(test.y, 3);
    /** One epoch as a user runs it: train (with validation), then predict and evaluate on held-out data. */
    const epoch = async () => {
      await m.fit(train.x, yTrain, { epochs: 1, batchSize: 32, verbose: 0, validationData: [test.x, yTest] });
      expect(m.predict(test.x).shape).toEqual([90, 3]); // its output is garbage from here on
      m.evaluate(test.x, yTest, { verbose: 0 });
      await collect();
    };
    await epoch();
    const first = figures();
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      await epoch();
      expect(figures()).toEqual(first);
      losses.push(m.evaluate(test.x, yTest, { verbose: 0 })[0]);
    }
    expect(losses[5]).toBeLessThan(losses[0]); // it was really training
  });

  it('training and evaluating alone is flat without any garbage collection (every step is scoped)', async () => {
    const m = model();
    const { x, y } = blobs(200, 3);
    const yOneHot = toCategorical(y, 3);
    // Ragged last batches (150 % 16, 200 % 7) on purpose: their sizes too are served again.
    const epoch = async () => {
      await m.fit(x, yOneHot, { epochs: 1, batchSize: 16, verbose: 0, validationSplit: 0.25 });
      m.evaluate(x, yOneHot, { batchSize: 7, verbose: 0 });
    };
    await epoch();
    const first = memoryStats();
    for (let i = 0; i < 8; i++) {
      await epoch();
      // Not bytesInUse: without a forced collection, blocks of unrelated garbage may come back any time.
      expect(memoryStats().bytesReserved).toBe(first.bytesReserved);
      expect(memoryStats().memoryBytes).toBe(first.memoryBytes);
    }
  });
});

describe('loops of public calls, with no garbage collection at all', () => {
  // Issue 12's loop: a model with 1,000 outputs on 2,000 samples (8 MB a result) used to die at
  // call 511. Results now live in the JS heap, so the WebAssembly figures are exactly flat from
  // the second call: deterministic, however the collector behaves. (npm run predict-loop runs
  // the 10,000 calls and prints RSS.)
  it('predict, evaluate and getWeights in a loop leave every WebAssembly figure exactly as after the first call', async () => {
    setSeed(2);
    const m = new Sequential([new Dense(1000, { inputShape: [8], activation: 'softmax' })]);
    m.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
    const x = randomUniform([2000, 8]);
    const y = toCategorical(tensor(Float32Array.from({ length: 2000 }, (_, i) => i % 1000)), 1000);
    const call = () => {
      const out = m.predict(x, { batchSize: 500 });
      expect(out.shape).toEqual([2000, 1000]);
      m.evaluate(x, y, { batchSize: 500, verbose: 0 });
      m.getWeights();
    };
    call();
    await threadsReady(); // the GEMM's worker threads take their workspaces once, when they join
    call();
    const first = figures();
    for (let i = 0; i < 4; i++) {
      call();
      expect(figures()).toEqual(first);
    }
  });
});
