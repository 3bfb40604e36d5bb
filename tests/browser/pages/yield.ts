// tests/browser/pages/yield.ts — fit() lets the page live: timers fire while it trains, and
// yielding costs no fixed wait per epoch. It times 3000 one-step epochs against one epoch of the
// same 3000 steps (printed, not asserted: speed is measured, not tested).

import { Dense, Sequential, ready, tensor } from 'wasmgrad';
import { check, note, runPage } from '../lib/report.js';

function tinyModel(): Sequential {
  const model = new Sequential();
  model.add(new Dense(1, { inputShape: [4] }));
  model.compile({ optimizer: 'sgd', loss: 'mean_squared_error' });
  return model;
}

runPage(async () => {
  await ready();
  const x3000 = tensor(Float32Array.from({ length: 3000 * 4 }, (_, i) => (i % 7) / 7), [3000, 4]);
  const y3000 = tensor(Float32Array.from({ length: 3000 }, (_, i) => i % 2), [3000, 1]);
  const x1 = x3000.sliceRows(0, 1), y1 = y3000.sliceRows(0, 1);

  // A timer ticking every 10 ms while a long fit runs: it must keep ticking.
  let ticks = 0, last = performance.now(), longestGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks++;
  }, 10);

  let started = performance.now();
  await tinyModel().fit(x3000, y3000, { batchSize: 1, epochs: 1, shuffle: false, verbose: 0 });
  const oneEpoch = performance.now() - started;
  const ticksDuringOneEpoch = ticks;

  started = performance.now();
  await tinyModel().fit(x1, y1, { batchSize: 1, epochs: 3000, shuffle: false, verbose: 0 });
  const manyEpochs = performance.now() - started;
  clearInterval(timer);

  check('timers keep firing while fit() trains one long epoch', ticksDuringOneEpoch >= Math.min(5, oneEpoch / 100), `${ticksDuringOneEpoch} ticks in ${oneEpoch.toFixed(0)} ms`);
  note('one epoch of 3000 one-sample steps, ms', oneEpoch.toFixed(0));
  note('3000 one-step epochs, ms', manyEpochs.toFixed(0));
  note('longest gap between 10 ms timer ticks during both, ms', longestGap.toFixed(0));
});
