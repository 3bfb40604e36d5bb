// tests/browser/pages/threads.ts — on a cross-origin-isolated page: the GEMM runs on Web Workers by
// default (getThreads() is 2 on this 2-core machine), a large GEMM really is cut between two
// threads, and both it and a few training steps give the same bits on 1 thread and on 2.

import { Dense, Dropout, Sequential, getThreads, ready, setSeed, setThreads, tensor } from 'wasmgrad';
import { alloc, gemm, heapF32, lastGemmDispatch, threadsReady } from 'wasmgrad/kernels';
import { randomUniform } from '../../seeded.js';
import { check, note, runPage, sameBits } from '../lib/report.js';

function filled(count: number, random: () => number): number {
  const ptr = alloc(count * 4);
  const heap = heapF32();
  for (let i = 0; i < count; i++) heap[(ptr >> 2) + i] = random();
  return ptr;
}

/** Uses `threads` threads from now on, once their workers are up (setThreads(1) stopped them). */
async function useThreads(threads: number): Promise<void> {
  setThreads(threads);
  await threadsReady();
}

/** C = relu(A·B + bias) for a 256 x 300 x 200 GEMM (above the threading threshold), on the threads set. */
function bigGemm(): { c: Float32Array; threadsUsed: number } {
  const random = randomUniform(42);
  const [M, N, K] = [256, 300, 200];
  const a = filled(M * K, random), b = filled(K * N, random), bias = filled(N, random), c = alloc(M * N * 4);
  gemm({ transA: false, transB: false, M, N, K, a, lda: K, b, ldb: N, c, ldc: N, bias, relu: true, accumulate: false });
  return { c: heapF32().slice(c >> 2, (c >> 2) + M * N), threadsUsed: lastGemmDispatch().threads };
}

/** Five Adam steps of a 64-256-256-10 MLP with dropout, from the same seed; the weights after. */
async function trainSteps(threads: number): Promise<Float32Array[]> {
  await useThreads(threads);
  setSeed(3);
  const model = new Sequential();
  model.add(new Dense(256, { inputShape: [64], activation: 'relu' }));
  model.add(new Dropout(0.2));
  model.add(new Dense(256, { activation: 'relu' }));
  model.add(new Dense(10, { activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
  const random = randomUniform(5);
  const x = tensor(Float32Array.from({ length: 640 * 64 }, random), [640, 64]);
  const y = tensor(Float32Array.from({ length: 640 * 10 }, (_, i) => (i % 10 === (Math.floor(i / 10) * 7) % 10 ? 1 : 0)), [640, 10]);
  await model.fit(x, y, { batchSize: 128, epochs: 1, shuffle: false, verbose: 0 });
  return model.getWeights().map((w) => Float32Array.from(w.data));
}

runPage(async () => {
  await ready();
  check('crossOriginIsolated', self.crossOriginIsolated === true);
  check('getThreads() is 2 by default (min(hardwareConcurrency, the cap))', getThreads() === 2, `getThreads() ${getThreads()}, hardwareConcurrency ${navigator.hardwareConcurrency}`);
  await useThreads(1);
  const one = bigGemm();
  await useThreads(2);
  const two = bigGemm();
  check('a large GEMM is cut between 2 threads', two.threadsUsed === 2, `dispatched to ${two.threadsUsed}`);
  check('a large GEMM gives the same bits on 1 and 2 threads', sameBits(one.c, two.c));
  const weightsOne = await trainSteps(1);
  const weightsTwo = await trainSteps(2);
  check('five training steps give the same weights, bit for bit, on 1 and 2 threads', weightsOne.every((w, i) => sameBits(w, weightsTwo[i]!)));
  const started = performance.now();
  for (let i = 0; i < 20; i++) bigGemm();
  note('256x300x200 GEMM on 2 threads, ms', ((performance.now() - started) / 20).toFixed(2));
});
