// bench/predict-loop.ts — the predict loop of issue "memory that never comes back": a model with
// 1,000 outputs called on 2,000 samples, 10,000 times in a plain loop, no explicit garbage
// collection. Prints every 1,000 calls the process RSS, the JavaScript heap in use, the size of
// the WebAssembly memory and memoryStats(). A measurement, not a test (tests/nn/memory.test.ts
// asserts the deterministic part: the WebAssembly figures are exactly flat from the second call).
//
//   npm run predict-loop                          (10,000 calls)
//   node dist/bench/predict-loop.js --calls 2000 --softmax
//
// The output layer is linear unless --softmax: softmax over 2,000 x 1,000 outputs runs in plain
// TypeScript and takes most of a call's time (~100 ms), which says nothing about memory.

import { Dense, Sequential, setSeed } from '../index.js';
import { memoryStats, randomUniform } from '../engine/index.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const CALLS = option('calls', 10_000);
const SAMPLES = option('samples', 2_000);
const FEATURES = option('features', 8);
setSeed(1);
const activation = process.argv.includes('--softmax') ? 'softmax' : 'linear';
const model = new Sequential([new Dense(1000, { inputShape: [FEATURES], activation })]);
const x = randomUniform([SAMPLES, FEATURES]);

const MiB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MiB).toFixed(1).padStart(9);
console.log(`predict on [${SAMPLES}, ${FEATURES}] -> [${SAMPLES}, 1000] (${activation}), ${CALLS} calls, no explicit GC (sizes in MiB)`);
console.log(['calls', 'RSS', 'heapUsed', 'wasm mem', 'bytesInUse', 'bytesReserved', 's'].map((h) => h.padStart(9)).join(' '));
const start = Date.now();
let checksum = 0;
for (let call = 1; call <= CALLS; call++) {
  const y = model.predict(x, { batchSize: 500 });
  checksum += y.data[call % y.size];
  if (call === 1 || call % 1000 === 0) {
    const { rss, heapUsed } = process.memoryUsage();
    const stats = memoryStats();
    console.log([String(call).padStart(9), mib(rss), mib(heapUsed), mib(stats.memoryBytes), mib(stats.bytesInUse), mib(stats.bytesReserved), ((Date.now() - start) / 1000).toFixed(1).padStart(9)].join(' '));
  }
}
console.log(`done (checksum ${checksum.toFixed(3)})`);
