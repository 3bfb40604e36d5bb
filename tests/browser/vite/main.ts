// tests/browser/vite/main.ts — a page built by `vite build` at its default settings (no config
// file): the static import and the import() of wasmgrad both work, and a model trains on WASM.
// (Vite warns that the import() cannot split wasmgrad into a chunk of its own, since the static
// import already brought it: expected here, where both must work on one page.)

import { Dense, Sequential, getBackend, optimizers, ready, setSeed, tensor } from 'wasmgrad';
import { check, runPage } from '../lib/report.js';

runPage(async () => {
  await ready();
  check('the backend is wasm (static import)', getBackend() === 'wasm', getBackend());
  const lazy = await import('wasmgrad');
  check('import() gives the same module as the static import', lazy.Sequential === Sequential);
  setSeed(1); // the same initial weights every run
  const model = new Sequential();
  model.add(new Dense(16, { inputShape: [2], activation: 'relu' }));
  model.add(new Dense(1, { activation: 'sigmoid' }));
  model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.05 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  // OR of two bits.
  const x = tensor([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]), y = tensor([0, 1, 1, 1], [4, 1]);
  const history = await model.fit(x, y, { epochs: 200, verbose: 0 });
  const losses = history.history.loss!;
  const accuracy = history.history.accuracy!.at(-1)!;
  check('a small model learns OR: accuracy 1, the loss down 10x', accuracy === 1 && losses.at(-1)! < losses[0]! / 10, `accuracy ${accuracy}, loss ${losses[0]!.toFixed(3)} -> ${losses.at(-1)!.toFixed(4)}`);
});
