// tests/browser/pages/dynamic.ts — a page that loads wasmgrad on demand with import(), as an app
// that keeps it out of its first bundle would; esbuild keeps it working at default settings.

import { check, runPage } from '../lib/report.js';

runPage(async () => {
  const { Dense, Sequential, getBackend, optimizers, ready, tensor } = await import('wasmgrad');
  await ready();
  check('the backend is wasm after import() and ready()', getBackend() === 'wasm', getBackend());
  const model = new Sequential();
  model.add(new Dense(1, { inputShape: [1] }));
  model.compile({ loss: 'mean_squared_error', optimizer: new optimizers.Adam({ learningRate: 0.1 }) });
  // Celsius to Fahrenheit: f = 1.8 c + 32, learnt from seven pairs.
  const celsius = [-40, -10, 0, 8, 15, 22, 38];
  const xs = tensor(celsius, [7, 1]), ys = tensor(celsius.map((c) => 1.8 * c + 32), [7, 1]);
  await model.fit(xs, ys, { epochs: 500, verbose: 0 });
  const f = model.predict(tensor([100], [1, 1])).item();
  check('a one-unit model learns Celsius to Fahrenheit (100 C -> 212 F within 2)', Math.abs(f - 212) < 2, `predicted ${f.toFixed(2)}`);
});
