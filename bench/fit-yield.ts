// bench/fit-yield.ts — what fit()'s yielding to the event loop costs: the same 3000 one-sample
// steps of a tiny model as one epoch of 3000 steps and as 3000 one-step epochs. With a fixed
// wait per epoch the second is many times the first; yielding only every few milliseconds of work
// makes them about equal. Medians of 5 alternated runs. The browser's figures come from
// `npm run test:browser` (tests/browser/pages/yield.ts), which times the same two fits in Chromium.

import { loadavg } from 'node:os';
import { Dense, Sequential, tensor } from '../index.js';
import { median, printTable } from './table.js';

const RUNS = 5;

function tinyModel(): Sequential {
  const model = new Sequential();
  model.add(new Dense(1, { inputShape: [4] }));
  model.compile({ optimizer: 'sgd', loss: 'mean_squared_error' });
  return model;
}

export async function runFitYieldBench(): Promise<void> {
  const x = tensor(Float32Array.from({ length: 3000 * 4 }, (_, i) => (i % 7) / 7), [3000, 4]);
  const y = tensor(Float32Array.from({ length: 3000 }, (_, i) => i % 2), [3000, 1]);
  const x1 = x.sliceRows(0, 1), y1 = y.sliceRows(0, 1);
  const oneEpoch: number[] = [], manyEpochs: number[] = [];
  const loadBefore = loadavg()[0]!;
  for (let run = 0; run < RUNS; run++) {
    let started = performance.now();
    await tinyModel().fit(x, y, { batchSize: 1, epochs: 1, shuffle: false, verbose: 0 });
    oneEpoch.push(performance.now() - started);
    started = performance.now();
    await tinyModel().fit(x1, y1, { batchSize: 1, epochs: 3000, shuffle: false, verbose: 0 });
    manyEpochs.push(performance.now() - started);
  }
  console.log(`\nfit's yielding: 3000 one-sample steps of Dense(1) on 4 inputs, median of ${RUNS} alternated runs`);
  console.log(`  load      1-minute load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`);
  const a = median(oneEpoch), b = median(manyEpochs);
  printTable(['fit', 'ms', 'ms per step', 'time / one epoch'], [
    ['1 epoch of 3000 steps', a.toFixed(0), (a / 3000).toFixed(3), '1.00'],
    ['3000 epochs of 1 step', b.toFixed(0), (b / 3000).toFixed(3), (b / a).toFixed(2)],
  ]);
}
