// bench/neighbour.ts — does a second thread ever cost time? model.fit's wall time for the MNIST MLP
// and the Fashion model on 1 and 2 threads, with the machine to itself and with a busy neighbour
// (another process spinning at nice 0, as a second program on a 2-core machine would), alternated,
// medians of several repeats. A measurement, not a test: nothing is asserted.
//
// Run as `node scripts/node.mjs dist/bench/index.js neighbour [ab|recover]` (NEIGHBOUR_REPEATS and
// NEIGHBOUR_BLOCK, below, set how many fits and how many in a row). With `ab`, two threads also
// run without the pool's judge of whole runs (kernels/split-judge.ts), as an A/B in the same run.
// With `recover`: how soon two threads split again after a busy neighbour leaves (the Fashion
// model's fits, and the share of their large GEMMs that were split).

import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { datasets, toCategorical, type Tensor } from '../index.js';
import * as kernels from '../kernels/index.js';
import { setJudgingWholeRuns } from '../kernels/thread-pool.js';
import { median, printMachine, printTable } from './table.js';
import { MODELS, type ModelSpec } from './training.js';

/** Batches per timed fit (0.6-0.8 s on one thread for either model: many short fits alternated resolve more than a few long ones on a machine whose speed drifts). */
const STEPS: Record<string, number> = { 128: 60, 32: 1000 };
const REPEATS = Number(process.env['NEIGHBOUR_REPEATS'] ?? 9);
/**
 * Fits in a row per setting (NEIGHBOUR_BLOCK, default 1: every fit alternates). With blocks of 5,
 * two threads run as a program that keeps them does: each setting change costs the pool's judge
 * its history of the other, and its first windows decide again.
 */
const BLOCK = Number(process.env['NEIGHBOUR_BLOCK'] ?? 1);

interface Setting {
  name: string;
  threads: number;
  judging: boolean;
}

/** A busy loop in a process of its own (ended by stopNeighbour). */
function startNeighbour(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

function stopNeighbour(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * A timed fit: its wall time, its cpu/wall, the share of its jobs the judge ran with the main
 * thread alone, and the milliseconds its trials' probes lost (ThreadStats.judgeProbeLostMilliseconds).
 */
interface FitTime {
  ms: number;
  cpu: number;
  alone: number;
  probesLostMs: number;
}

async function timeFit(spec: ModelSpec, model: ReturnType<ModelSpec['wasmgrad']>, x: Tensor, y: Tensor, setting: Setting): Promise<FitTime> {
  const threadsChanged = kernels.getThreads() !== setting.threads;
  kernels.setThreads(setting.threads);
  setJudgingWholeRuns(setting.judging);
  await kernels.threadsReady();
  if (threadsChanged) {
    // setThreads(1) stops the worker and setThreads(2) starts a new one, which is slow for its
    // first few hundred milliseconds (a GEMM split with it took 1.3-1.5x as long as later) and
    // whose first windows the judge judges afresh: an untimed fit as long as a timed one first,
    // so that the timed fit shows two threads as a program that keeps them runs. (After a warm-up
    // of a sixth as long, fits alternated one by one put two threads 9% behind one beside a busy
    // loop, where blocks of five measured 2% behind.)
    const warm = STEPS[spec.batchSize]! * spec.batchSize;
    await model.fit(x.sliceRows(0, warm), y.sliceRows(0, warm), { batchSize: spec.batchSize, epochs: 1, verbose: 0 });
  }
  const steps = STEPS[spec.batchSize]!;
  kernels.resetThreadStats();
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  await model.fit(x.sliceRows(0, steps * spec.batchSize), y.sliceRows(0, steps * spec.batchSize), { batchSize: spec.batchSize, epochs: 1, verbose: 0 });
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  const stats = kernels.threadStats();
  return { ms, cpu: (cpu.user + cpu.system) / 1000 / ms, alone: stats.aloneJobs / Math.max(1, stats.judgedJobs), probesLostMs: stats.judgeProbeLostMilliseconds };
}

/** Runs the comparison and prints its table. */
export async function runNeighbourBench(ab: boolean): Promise<void> {
  if (kernels.threadsUnavailableReason !== '') {
    console.log(`bench neighbour: no worker threads here (${kernels.threadsUnavailableReason})`);
    return;
  }
  const loadBefore = loadavg()[0]!;
  const defaultThreads = kernels.getThreads();
  const [[images, labels]] = await datasets.mnist.loadData();
  const pixels = images.div(255);
  const settings: Setting[] = [
    { name: '1 thread', threads: 1, judging: true },
    { name: '2 threads', threads: 2, judging: true },
    ...(ab ? [{ name: '2 threads, no judge', threads: 2, judging: false }] : []),
  ];
  const rows: string[][] = [];
  for (const spec of MODELS) {
    const x = pixels.reshape([pixels.shape[0]!, ...spec.inputShape]);
    const y = spec.sparseLabels ? labels : toCategorical(labels, 10);
    const model = spec.wasmgrad();
    for (const setting of settings) await timeFit(spec, model, x, y, setting); // warm-up: tier-up, workers started
    for (const busy of [false, true]) {
      const neighbour = busy ? startNeighbour() : null;
      await new Promise((resolve) => setTimeout(resolve, 200)); // let it get its core
      const times = settings.map(() => [] as number[]);
      const cpuPerWall = settings.map(() => [] as number[]);
      const aloneShares = settings.map(() => [] as number[]);
      const probesLost = settings.map(() => [] as number[]);
      try {
        for (let repeat = 0; repeat < REPEATS; repeat++) {
          // Alternated, the order reversed every other repeat: a drifting machine speed moves every setting alike.
          const order = settings.map((_, i) => i);
          if (repeat % 2 === 1) order.reverse();
          for (const i of order) {
            for (let fit = 0; fit < BLOCK; fit++) {
              const { ms, cpu, alone, probesLostMs } = await timeFit(spec, model, x, y, settings[i]!);
              times[i]!.push(ms);
              cpuPerWall[i]!.push(cpu);
              aloneShares[i]!.push(alone);
              probesLost[i]!.push(probesLostMs);
            }
          }
        }
      } finally {
        if (neighbour !== null) await stopNeighbour(neighbour);
      }
      // Each repeat's ratio to the one-thread fits of the same repeat (the same minute of the
      // machine), then their median: steadier than the ratio of medians where the VM's speed drifts.
      const blockOf = (i: number, repeat: number): number => median(times[i]!.slice(repeat * BLOCK, (repeat + 1) * BLOCK));
      const ratioToOneThread = (i: number): number => median(Array.from({ length: REPEATS }, (_, repeat) => blockOf(i, repeat) / blockOf(0, repeat)));
      // What the probes lost over all of a setting's fits, as a share of the fits' time.
      const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
      const probesLostShare = (i: number): number => sum(probesLost[i]!) / sum(times[i]!);
      settings.forEach((setting, i) => {
        const judged = setting.threads > 1 && setting.judging;
        rows.push([
          `${spec.name}, batch ${spec.batchSize}`,
          busy ? 'busy loop' : 'none',
          setting.name,
          `${STEPS[spec.batchSize]}`,
          median(times[i]!).toFixed(0),
          `${Math.min(...times[i]!).toFixed(0)}-${Math.max(...times[i]!).toFixed(0)}`,
          ratioToOneThread(i).toFixed(3),
          median(cpuPerWall[i]!).toFixed(2),
          judged ? `${(100 * median(aloneShares[i]!)).toFixed(0)}% (${(100 * Math.min(...aloneShares[i]!)).toFixed(0)}-${(100 * Math.max(...aloneShares[i]!)).toFixed(0)}%)` : '',
          judged ? `${(100 * probesLostShare(i)).toFixed(2)}%` : '',
        ]);
      });
    }
  }
  kernels.setThreads(defaultThreads);
  setJudgingWholeRuns(true);
  console.log(`\nmodel.fit on 1 and 2 threads, alone and beside a busy neighbour (${new Date().toISOString().slice(0, 10)})`);
  printMachine(loadBefore);
  console.log(`  runs      ${REPEATS * BLOCK} fits per setting, alternated${BLOCK > 1 ? ` in blocks of ${BLOCK}` : ''}; the neighbour is \`node -e 'for (;;) {}'\` at nice 0`);
  printTable(['model', 'neighbour', 'setting', 'batches', 'median ms', 'range ms', 'time / 1 thread', 'cpu/wall', 'jobs alone (range)', 'lost to probes'], rows);
  console.log('time / 1 thread: the median over the repeats of each repeat\'s time over its one-thread time, in the same neighbour condition (below 1: two threads gain).');
  console.log('jobs alone: the median share of a fit\'s jobs that the judge ran on the main thread alone, and its range over the fits');
  console.log('(on an idle machine, where splitting wins, what the judge\'s trials cost; beside the busy loop, how much of the fit it kept alone).');
  console.log('lost to probes: the time the judge\'s probes of the mode it did not prefer lost against the preferred mode\'s window beside each,');
  console.log('summed over the fits, as a share of their time: its exploration\'s cost, measured window by window (below 0: the probes won).');
}

/** Fits right after the neighbour leaves, and their batches (0.2-0.4 s each for the Fashion model). */
const FITS_AFTER = 8;
const STEPS_AFTER = 500;

/**
 * After a busy phase (5 fits beside the busy loop), the fits once the loop has ended: their times
 * and the share of their large GEMMs that were split, REPEATS times (at most 5); then two threads
 * without the judge and one thread, as the two ends to compare with.
 */
export async function runNeighbourRecoveryBench(): Promise<void> {
  if (kernels.threadsUnavailableReason !== '') {
    console.log(`bench neighbour recover: no worker threads here (${kernels.threadsUnavailableReason})`);
    return;
  }
  const loadBefore = loadavg()[0]!;
  const defaultThreads = kernels.getThreads();
  const spec = MODELS.find((model) => model.batchSize === 32)!;
  const [[images, labels]] = await datasets.mnist.loadData();
  const x = images.div(255).reshape([images.shape[0]!, ...spec.inputShape]);
  const y = spec.sparseLabels ? labels : toCategorical(labels, 10);
  const model = spec.wasmgrad();
  const fit = async (steps: number): Promise<{ ms: number; splitShare: number }> => {
    kernels.resetThreadStats();
    const started = performance.now();
    await model.fit(x.sliceRows(0, steps * spec.batchSize), y.sliceRows(0, steps * spec.batchSize), { batchSize: spec.batchSize, epochs: 1, verbose: 0 });
    const ms = performance.now() - started;
    const stats = kernels.threadStats();
    return { ms, splitShare: stats.splitGemms / Math.max(1, stats.gemms) };
  };
  kernels.setThreads(2);
  await kernels.threadsReady();
  await fit(300); // warm-up
  const rows: string[][] = [];
  const after: number[] = [];
  for (let repeat = 0; repeat < Math.min(REPEATS, 5); repeat++) {
    const neighbour = startNeighbour();
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      for (let i = 0; i < 5; i++) await fit(2 * STEPS_AFTER);
    } finally {
      await stopNeighbour(neighbour);
    }
    const fits: string[] = [];
    for (let i = 0; i < FITS_AFTER; i++) {
      const { ms, splitShare } = await fit(STEPS_AFTER);
      after.push(ms);
      fits.push(`${ms.toFixed(0)} (${(100 * splitShare).toFixed(0)}%)`);
    }
    rows.push([`${repeat + 1}`, fits.join('  ')]);
  }
  setJudgingWholeRuns(false);
  const noJudge: number[] = [];
  for (let i = 0; i < 5; i++) noJudge.push((await fit(STEPS_AFTER)).ms);
  setJudgingWholeRuns(true);
  kernels.setThreads(1);
  const oneThread: number[] = [];
  for (let i = 0; i < 5; i++) oneThread.push((await fit(STEPS_AFTER)).ms);
  kernels.setThreads(defaultThreads);
  console.log(`\n${spec.name} on 2 threads right after a busy neighbour leaves (${new Date().toISOString().slice(0, 10)})`);
  printMachine(loadBefore);
  console.log(`  runs      each: 5 fits of ${2 * STEPS_AFTER} batches beside \`node -e 'for (;;) {}'\`, the loop ends, then ${FITS_AFTER} fits of ${STEPS_AFTER}`);
  printTable(['repeat', `ms per fit after the neighbour left (share of large GEMMs split)`], rows);
  console.log(`median after the neighbour left ${median(after).toFixed(0)} ms; with the machine to itself, 2 threads without the judge ${median(noJudge).toFixed(0)} ms, 1 thread ${median(oneThread).toFixed(0)} ms`);
}
