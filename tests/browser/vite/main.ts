// tests/browser/vite/main.ts — a page built by `vite build` at its default settings (no config
// file): the static import and the import() of wasmgrad both work, and a model trains on WASM.

import { Dense, Sequential, getBackend, ready, tensor } from 'wasmgrad';
import { check, runPage } from '../lib/report.js';

runPage(async () => {
  await ready();
  check('the backend is wasm (static import)', getBackend() === 'wasm', getBackend());
  const lazy = await import('wasmgrad');
  check('import() gives the same module as the static import', lazy.Sequential === Sequential);
  const model = new Sequential();
  model.add(new Dense(8, { inputShape: [2], activation: 'relu' }));
  model.add(new Dense(1, { activation: 'sigmoid' }));
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  // OR of two bits.
  const x = tensor([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]), y = tensor([0, 1, 1, 1], [4, 1]);
  const history = await model.fit(x, y, { epochs: 300, verbose: 0 });
  const losses = history.history.loss!;
  check('a small model trains: the loss falls by 10x', losses.at(-1)! < losses[0]! / 10, `${losses[0]!.toFixed(3)} -> ${losses.at(-1)!.toFixed(4)}`);
});
