// tests/browser/pages/saving.ts — saving in a page: model.save('indexeddb://name') and
// loadModel('indexeddb://name') round-trip weights, optimizer state and predictions bit for bit;
// loading from a URL (fetch) works; failures are clear wasmgrad errors. The runner does the parts
// that need the browser's UI: the download of the files and loading files picked in an <input>.

import { Dense, Dropout, ModelCheckpoint, Sequential, SavedModelError, loadModel, ready, setSeed, tensor } from 'wasmgrad';
import { randomUniform } from '../../seeded.js';
import { check, runPage, sameBits } from '../lib/report.js';

declare global {
  interface Window {
    __downloadModel(): Promise<void>;
    __loadPickedFiles(): Promise<{ ok: boolean; detail: string }>;
  }
}

const random = randomUniform(11);
const x = tensor(Float32Array.from({ length: 256 * 20 }, random), [256, 20]);
const y = tensor(Float32Array.from({ length: 256 * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)), [256, 3]);

function bitsOf(model: Sequential): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.data));
}

function sameModel(a: Sequential, b: Sequential): boolean {
  const wa = bitsOf(a), wb = bitsOf(b);
  return wa.length === wb.length && wa.every((w, i) => sameBits(w, wb[i]!)) && sameBits(a.predict(x).data, b.predict(x).data);
}

/** The message of what `body` throws, or '' if it does not. */
async function thrown(body: () => Promise<unknown>): Promise<{ message: string; isSavedModelError: boolean }> {
  try {
    await body();
    return { message: '', isSavedModelError: false };
  } catch (error) {
    return { message: error instanceof Error ? error.message : String(error), isSavedModelError: error instanceof SavedModelError };
  }
}

runPage(async () => {
  await ready();
  setSeed(2);
  const model = new Sequential();
  model.add(new Dense(32, { inputShape: [20], activation: 'relu' }));
  model.add(new Dropout(0.1));
  model.add(new Dense(3, { activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });

  await model.save('indexeddb://browser-test');
  const again = await loadModel('indexeddb://browser-test');
  check("save('indexeddb://name') then loadModel gives the same weights and predictions, bit for bit", sameModel(model, again));
  // Training goes on identically: the optimizer state came back too.
  setSeed(9);
  await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, shuffle: false });
  setSeed(9);
  await again.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, shuffle: false });
  check('a model loaded from IndexedDB trains on exactly as the original', sameModel(model, again));

  // ModelCheckpoint saves through model.save / saveWeights, so it takes the same 'indexeddb://' paths.
  const checkpointed = new Sequential([new Dense(8, { inputShape: [20], activation: 'relu' }), new Dense(3, { activation: 'softmax' })]);
  checkpointed.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
  await checkpointed.fit(x, y, {
    epochs: 2, batchSize: 64, verbose: 0,
    callbacks: [new ModelCheckpoint('indexeddb://ckpt-{epoch:02d}'), new ModelCheckpoint('indexeddb://ckpt-weights', { saveWeightsOnly: true })],
  });
  check("ModelCheckpoint('indexeddb://ckpt-{epoch:02d}') keeps each epoch; the last is the trained model", sameModel(checkpointed, await loadModel('indexeddb://ckpt-02')));
  const fresh = new Sequential([new Dense(8, { inputShape: [20], activation: 'relu' }), new Dense(3, { activation: 'softmax' })]);
  await fresh.loadWeights('indexeddb://ckpt-weights');
  check("ModelCheckpoint({ saveWeightsOnly }) to IndexedDB, then loadWeights('indexeddb://...'), gives the same weights", sameModel(checkpointed, fresh));

  const missing = await thrown(() => loadModel('indexeddb://no-such-model'));
  check('loading a name never saved is a SavedModelError naming it', missing.isSavedModelError && missing.message.includes('no-such-model'), missing.message);
  const noFiles = await thrown(() => model.save('models/mnist'));
  check('save(a file path) in a page is a clear error naming the schemes that work', noFiles.message.includes('indexeddb://') && noFiles.message.startsWith('wasmgrad'), noFiles.message);

  const notThere = await thrown(() => loadModel('/out/browser/no-such-folder/model.json'));
  check('loadModel(a URL that answers 404) is a SavedModelError naming the URL and the status', notThere.isSavedModelError && notThere.message.includes('no-such-folder') && notThere.message.includes('404'), notThere.message);

  window.__downloadModel = async () => {
    await model.save('downloads://mlp');
  };
  window.__loadPickedFiles = async () => {
    const input = document.getElementById('files') as HTMLInputElement;
    try {
      const picked = await loadModel(input.files!);
      const fetched = await loadModel('/out/browser/downloads/mlp.json');
      return { ok: sameModel(model, picked) && sameModel(model, fetched), detail: `${input.files!.length} files picked, and the same files fetched by URL` };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  };
  const input = document.createElement('input');
  input.type = 'file';
  input.id = 'files';
  input.multiple = true;
  document.body.append(input);
});
