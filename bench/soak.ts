// bench/soak.ts — a memory soak: trains a small MNIST model for 20 epochs with predict() and
// evaluate() after each, and prints per epoch the process RSS, the JavaScript heap in use, the
// size of the WebAssembly memory and the allocator's bytesInUse / bytesReserved (memoryStats()).
// A measurement, not a test: nothing is asserted here (tests/nn/memory.test.ts asserts the flat
// WebAssembly figures, which are deterministic; RSS is not, so it is only reported).
//
//   npm run soak                              (node --expose-gc: figures after a full collection)
//   node dist/bench/soak.js --no-gc           (figures as they are, garbage and all)
//   node dist/bench/soak.js --epochs 50 --samples 60000

import { Dense, Dropout, Sequential, datasets, setSeed, toCategorical, type Tensor } from '../index.js';
import { getBackend, memoryStats, sliceRows } from '../engine/index.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const EPOCHS = option('epochs', 20);
const SAMPLES = option('samples', 10000);
const collect = !process.argv.includes('--no-gc');
const gc = (globalThis as { gc?: () => void }).gc;
if (collect && gc === undefined) {
  console.error('soak: run with node --expose-gc (npm run soak does) to measure after a full collection, or pass --no-gc');
  process.exit(2);
}

/** A full collection, then a turn of the event loop so FinalizationRegistry returns freed blocks. */
async function settle(): Promise<void> {
  if (!collect) return;
  for (let i = 0; i < 2; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(2).padStart(8);

/** The first `samples` training images and all test images, scaled to [0, 1], with one-hot labels. */
async function loadMnist(samples: number): Promise<{ xTrain: Tensor; yTrain: Tensor; xTest: Tensor; yTest: Tensor }> {
  // The full uint8 data sets as float tensors are ~220 MB; only the slices below stay referenced.
  const [[xTrainImages, yTrainIds], [xTestImages, yTestIds]] = await datasets.mnist.loadData({ download: false });
  return {
    xTrain: sliceRows(xTrainImages, 0, samples).reshape([samples, 784]).div(255),
    yTrain: toCategorical(sliceRows(yTrainIds, 0, samples), 10),
    xTest: xTestImages.reshape([10000, 784]).div(255),
    yTest: toCategorical(yTestIds, 10),
  };
}
const { xTrain, yTrain, xTest, yTest } = await loadMnist(SAMPLES);

/** predict() on the test set, keeping nothing: its output becomes garbage as soon as this returns. */
function predictRows(): number {
  return model.predict(xTest, { batchSize: 256 }).shape[0];
}

setSeed(7);
const model = new Sequential([
  new Dense(128, { activation: 'relu', inputShape: [784] }),
  new Dropout(0.2),
  new Dense(10, { activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });

console.log(`wasmgrad memory soak: backend ${getBackend()}, ${SAMPLES} MNIST samples, 784-128-10 with Dropout, ` +
  `batch 128, ${EPOCHS} epochs, predict + evaluate on 10,000 after each; ${collect ? 'after a forced GC' : 'no forced GC'}`);
console.log('sizes in MiB (2^20 bytes); bytesInUse/bytesReserved from memoryStats(), WebAssembly memory = memory.buffer.byteLength');
const header = ['epoch', 'loss', 'test acc', 'RSS', 'heapUsed', 'wasm mem', 'bytesInUse', 'bytesReserved'];
console.log(header.map((h, i) => (i === 0 ? h.padStart(5) : h.padStart(i < 3 ? 9 : 13))).join(' '));

await settle();
const start = { rss: process.memoryUsage().rss, ...memoryStats() };
const rows: { rss: number; heapUsed: number; memoryBytes: number; bytesInUse: number; bytesReserved: number }[] = [];
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  const history = await model.fit(xTrain, yTrain, { epochs: 1, batchSize: 128, verbose: 0 });
  if (predictRows() !== 10000) throw new Error('soak: predict returned the wrong number of rows');
  const [, accuracy] = model.evaluate(xTest, yTest, { batchSize: 256, verbose: 0 });
  await settle();
  const { rss, heapUsed } = process.memoryUsage();
  const stats = memoryStats();
  rows.push({ rss, heapUsed, memoryBytes: stats.memoryBytes, bytesInUse: stats.bytesInUse, bytesReserved: stats.bytesReserved });
  console.log([
    String(epoch).padStart(5), history.history.loss[0].toFixed(4).padStart(9), accuracy.toFixed(4).padStart(9),
    mb(rss).padStart(13), mb(heapUsed).padStart(13), mb(stats.memoryBytes).padStart(13),
    String(stats.bytesInUse).padStart(13), String(stats.bytesReserved).padStart(13),
  ].join(' '));
}

const first = rows[0], last = rows[rows.length - 1];
const change = (key: keyof (typeof rows)[number]) => `${mb(first[key]).trim()} -> ${mb(last[key]).trim()} MiB (${last[key] - first[key] >= 0 ? '+' : ''}${((last[key] - first[key]) / MB).toFixed(2)})`;
console.log(`\nbefore training: RSS ${mb(start.rss).trim()} MiB, wasm memory ${mb(start.memoryBytes).trim()} MiB, bytesReserved ${start.bytesReserved}`);
console.log(`epoch 1 -> ${EPOCHS}:`);
console.log(`  RSS            ${change('rss')}`);
console.log(`  heapUsed       ${change('heapUsed')}`);
console.log(`  wasm memory    ${change('memoryBytes')}`);
console.log(`  bytesInUse     ${change('bytesInUse')}`);
console.log(`  bytesReserved  ${change('bytesReserved')}`);
