// bench/browser.mjs — `npm run bench:browser`: seconds per epoch of the Keras MNIST MLP
// (784-512-512-10, Dropout 0.2, Adam, batch 128, 60,000 samples) in headless Chromium, trained by
// the demo's Worker with threads on (served with COOP/COEP) and off (without them), beside Node on
// 2 threads and on 1, alternated in one run; medians of RUNS. Measures, never asserts. Plain
// JavaScript over dist/ and the demo bundle (the script builds both first), since it drives a browser.

import { loadavg } from 'node:os';
import { buildDemo } from '../scripts/build-browser.mjs';
import { startServer } from '../scripts/serve.mjs';
import { launchChromium, trainDemoEpoch } from '../tests/browser/chromium.mjs';
import {
  Activation, Dense, Dropout, Sequential, datasets, getBackend, getThreads, setThreads, toCategorical,
} from '../dist/index.js';

const RUNS = Number(process.env.RUNS ?? 3);
const defaultThreads = getThreads();

const [[xImages, yLabels]] = await datasets.mnist.loadData();
const x = xImages.reshape([60000, 784]).div(255), y = toCategorical(yLabels, 10);

async function nodeEpoch(threads) {
  setThreads(threads);
  const model = new Sequential();
  model.add(new Dense(512, { inputShape: [784] }));
  model.add(new Activation('relu'));
  model.add(new Dropout(0.2));
  model.add(new Dense(512));
  model.add(new Activation('relu'));
  model.add(new Dropout(0.2));
  model.add(new Dense(10));
  model.add(new Activation('softmax'));
  model.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  const started = performance.now();
  await model.fit(x, y, { batchSize: 128, epochs: 1, verbose: 0 });
  return (performance.now() - started) / 1000;
}

await buildDemo();
const root = new URL('..', import.meta.url).pathname;
const isolated = await startServer({ root, isolated: true });
const plain = await startServer({ root, isolated: false });
const browser = await launchChromium();

async function chromiumEpoch(server) {
  const page = await browser.newPage();
  try {
    return (await trainDemoEpoch(page, `${server.url}demo/`)).seconds;
  } finally {
    await page.close();
  }
}

const rows = [
  ['Chromium, cross-origin isolated (2 threads)', () => chromiumEpoch(isolated)],
  ['Chromium, not isolated (1 thread)', () => chromiumEpoch(plain)],
  ['Node, 2 threads', () => nodeEpoch(2)],
  ['Node, 1 thread', () => nodeEpoch(1)],
];
const seconds = rows.map(() => []);
const loadBefore = loadavg()[0];
for (let run = 0; run < RUNS; run++) {
  for (const [i, [, measure]] of rows.entries()) seconds[i].push(await measure());
}
await browser.close();
await isolated.close();
await plain.close();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const nodeTwo = median(seconds[2]);
console.log(`\nThe Keras MNIST MLP, one epoch (469 steps of 128), ${RUNS} runs alternated; Node ${process.version}, ${getBackend()} backend, default threads ${defaultThreads}`);
console.log(`load: 1-minute load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after (2 cores; above ~2 means neighbours took CPU)`);
console.log('| where | s/epoch (median) | runs | time / Node 2 threads |');
console.log('| --- | --- | --- | --- |');
rows.forEach(([name], i) => {
  const m = median(seconds[i]);
  console.log(`| ${name} | ${m.toFixed(2)} | ${seconds[i].map((s) => s.toFixed(2)).join(', ')} | ${(m / nodeTwo).toFixed(2)} |`);
});
