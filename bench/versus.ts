// bench/versus.ts — wasmgrad against PyTorch on the CPU, fit by fit: each round times one wasmgrad
// fit and one PyTorch run of the same model and step count back to back (the order alternating round
// by round), so every ratio comes from the same minute. On a shared virtual machine whose speed drifts
// by a third from one minute to the next, a ratio of two medians measured minutes apart can say either
// library is ahead; the median of per-round ratios does not move with the drift. A measurement, not a
// test: nothing is asserted. `npm run bench:versus` (bench/training.ts and bench/convnet.ts give the
// wider tables, TensorFlow.js included).
//
// PyTorch runs in bench/pytorch.py --serve processes kept alive between rounds (one per thread
// setting; on two threads the faster of its two settings counts in each round, as in the other tables).

import { loadavg } from 'node:os';
import { datasets, toCategorical, type Sequential, type Tensor } from '../index.js';
import * as kernels from '../kernels/index.js';
import { wasmgradModel as convnetModel } from './convnet.js';
import { PYTORCH_MISSING, PYTORCH_ONE_THREAD, PYTORCH_TWO_THREAD_SETTINGS, PytorchServer, findPytorch, type PytorchModel, type PytorchSetting } from './pytorch.js';
import { median, printTable } from './table.js';
import { MODELS } from './training.js';

const EPOCH_SAMPLES = 60_000;
/** Rounds per model and thread count; the medians count. */
const ROUNDS = 5;
/**
 * A pause before each timed side: after a run, OpenBLAS' threads spin ~50 ms before sleeping
 * (measured: 0.05 CPU seconds in the 2 s after a run) and wasmgrad's workers poll ~1 ms; neither
 * may eat into the other's fit.
 */
const SETTLE_MS = 250;

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

interface Contest {
  name: string;
  pytorch: PytorchModel;
  batchSize: number;
  /** Steps of each timed fit (both sides), and of the warm-up fit. */
  steps: number;
  warmup: number;
  make(): Sequential;
  /** Inputs and targets of all 60,000 samples, as the model takes them. */
  data(pixels: Tensor, labels: Tensor): [Tensor, Tensor];
}

/** The MNIST MLP and the Fashion model as bench/training.ts builds them, and the convnet of bench/convnet.ts. */
function contests(): Contest[] {
  const fromTraining = MODELS.map((spec): Contest => ({
    name: spec.name,
    pytorch: spec.pytorch,
    batchSize: spec.batchSize,
    steps: spec.steps.wasmgrad.timed,
    warmup: spec.steps.wasmgrad.warmup,
    make: () => spec.wasmgrad(),
    data: (pixels, labels) => [pixels.reshape([EPOCH_SAMPLES, ...spec.inputShape]), spec.sparseLabels ? labels : toCategorical(labels, 10)],
  }));
  const convnet: Contest = {
    name: "Keras' Simple MNIST convnet",
    pytorch: 'convnet',
    batchSize: 128,
    steps: 40,
    warmup: 5,
    make: convnetModel,
    data: (pixels, labels) => [pixels.reshape([EPOCH_SAMPLES, 28, 28, 1]), toCategorical(labels, 10)],
  };
  return [...fromTraining, convnet];
}

/** Seconds per 60,000-sample epoch of one fit of `steps` steps, and the process's CPU seconds per second. */
async function timeFit(model: Sequential, x: Tensor, y: Tensor, contest: Contest, steps: number): Promise<{ seconds: number; cpuPerWall: number }> {
  const samples = steps * contest.batchSize;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  await model.fit(x.sliceRows(0, samples), y.sliceRows(0, samples), { batchSize: contest.batchSize, epochs: 1, verbose: 0 });
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  return { seconds: (wall / samples) * EPOCH_SAMPLES, cpuPerWall: (cpu.user + cpu.system) / 1e6 / wall };
}

/** One row: `ROUNDS` alternated rounds of wasmgrad on `threads` threads against PyTorch's `servers`. */
async function contestRow(contest: Contest, threads: number, servers: PytorchServer[], pixels: Tensor, labels: Tensor): Promise<{ row: string[]; version: string }> {
  kernels.setThreads(threads);
  await kernels.threadsReady();
  const model = contest.make();
  const [x, y] = contest.data(pixels, labels);
  await timeFit(model, x, y, contest, contest.warmup);
  const ours: number[] = [];
  const ourCpu: number[] = [];
  const theirs = servers.map((): number[] => []);
  const ratios: number[] = [];
  let version = '';
  for (let round = 0; round < ROUNDS; round++) {
    const pytorchRound = async () => {
      for (const [i, server] of servers.entries()) {
        await settle();
        const run = await server.run(contest.pytorch, contest.steps);
        theirs[i]!.push(run.secondsPerEpoch);
        version = run.version;
      }
    };
    const wasmgradRound = async () => {
      await settle();
      const fit = await timeFit(model, x, y, contest, contest.steps);
      ours.push(fit.seconds);
      ourCpu.push(fit.cpuPerWall);
    };
    if (round % 2 === 0) {
      await wasmgradRound();
      await pytorchRound();
    } else {
      await pytorchRound();
      await wasmgradRound();
    }
    // PyTorch's faster setting in this round.
    ratios.push(ours[round]! / Math.min(...theirs.map((runs) => runs[round]!)));
  }
  const best = theirs.reduce((fastest, runs, i) => (median(runs) < median(theirs[fastest]!) ? i : fastest), 0);
  const spread = (values: number[]) => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;
  const row = [
    contest.name,
    String(threads),
    median(ours).toFixed(2),
    spread(ours),
    median(ourCpu).toFixed(2),
    median(theirs[best]!).toFixed(2),
    spread(theirs[best]!),
    servers[best]!.setting.label,
    `${median(ratios).toFixed(2)}x`,
    spread(ratios),
  ];
  return { row, version };
}

/** Runs the head-to-head and prints its table. */
export async function runVersusBench(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const settings: [number, PytorchSetting[]][] = [[2, PYTORCH_TWO_THREAD_SETTINGS], [1, [PYTORCH_ONE_THREAD]]];
  console.log(`\nwasmgrad against PyTorch, alternated fit by fit (${ROUNDS} rounds each, ${new Date().toISOString().slice(0, 10)})`);
  console.log(`  wasmgrad  ${kernels.backend().description}`);
  if (findPytorch() === null) {
    console.log(`  PyTorch   ${PYTORCH_MISSING}: nothing to compare.`);
    return;
  }
  const [[images, labels]] = await datasets.mnist.loadData();
  const pixels = images.div(255);
  const rows: string[][] = [];
  let version = '';
  for (const [threads, threadSettings] of settings) {
    const servers = threadSettings.map((setting) => PytorchServer.start(setting));
    try {
      for (const contest of contests()) {
        const result = await contestRow(contest, threads, servers, pixels, labels);
        rows.push(result.row);
        version = result.version;
      }
    } finally {
      for (const server of servers) server.stop();
    }
  }
  console.log(`  PyTorch   ${version} on the CPU (bench/pytorch.py: the same layers, Adam with Keras' defaults, a plain loop)`);
  printTable(
    ['model', 'threads', 'wasmgrad s/epoch', 'range', 'cpu/wall', 'PyTorch s/epoch', 'range', 'PyTorch setting', 'wasmgrad / PyTorch (median of rounds)', 'range'],
    rows,
  );
  console.log('\ns/epoch = seconds per 60,000 samples, median of the rounds; a ratio under 1x means wasmgrad took less time.');
  console.log(`1-minute load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after (this bench adds ~1-2: more means neighbours).`);
  console.log(`Versus bench took ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}
