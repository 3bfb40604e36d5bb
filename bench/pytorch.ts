// bench/pytorch.ts — PyTorch's figures for the side-by-side tables, measured in the same run: runs
// bench/pytorch.py (the same models, trained by a plain PyTorch loop) in a Python that can import
// torch, under each thread setting below, and reads its JSON lines. Not a benchmark of its own and
// not part of the library: bench/training.ts and bench/convnet.ts call it.
//
// Thread settings: PyTorch on the CPU has two thread pools, its own (torch.set_num_threads, used by
// its convolutions and element-wise ops) and OpenBLAS' (OPENBLAS_NUM_THREADS, used by its matrix
// products). Both at 2 oversubscribe 2 cores and run ~2.5x slower than either alone, so the two
// 2-thread settings are "torch 2, OpenBLAS 1" and "torch 1, OpenBLAS 2"; the tables show the faster.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type PytorchModel = 'mlp' | 'fashion' | 'convnet';

export interface PytorchSetting {
  label: string;
  torchThreads: number;
  blasThreads: number;
}

export const PYTORCH_ONE_THREAD: PytorchSetting = { label: '1 thread', torchThreads: 1, blasThreads: 1 };
export const PYTORCH_TWO_THREAD_SETTINGS: PytorchSetting[] = [
  { label: '2 threads (torch 2, OpenBLAS 1)', torchThreads: 2, blasThreads: 1 },
  { label: '2 threads (torch 1, OpenBLAS 2)', torchThreads: 1, blasThreads: 2 },
];

export interface PytorchResult {
  setting: PytorchSetting;
  /** Steps of each timed run. */
  steps: number;
  /** Median seconds per 60,000-sample epoch, and every timed run's figure. */
  secondsPerEpoch: number;
  samples: number[];
  /** CPU seconds of the Python process (all its threads) per second, median of the timed runs. */
  cpuPerWall: number;
  version: string;
}

/** bench/pytorch.py beside this file's source (dist/bench/pytorch.js → bench/pytorch.py). */
const SCRIPT = fileURLToPath(new URL('../../bench/pytorch.py', import.meta.url));

let python: string | null | undefined;

/** A python3 that can import torch (the one on PATH, else Debian's), or null. */
export function findPytorch(): string | null {
  if (python !== undefined) return python;
  python = null;
  if (process.env.WASMGRAD_BENCH_PYTORCH === '0') return python;
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (probe.status === 0) {
      python = candidate;
      break;
    }
  }
  return python;
}

/** Why PyTorch rows are missing, for the table's note. */
export const PYTORCH_MISSING = 'no python3 here imports torch (bash scripts/install-pytorch.sh installs Debian\'s)';

/**
 * Trains `models` under one thread setting; a result per model, or the error text when the run
 * failed. Each model: a warm-up, then 3 timed runs (pytorch.py), the median counts.
 */
export function runPytorch(models: PytorchModel[], setting: PytorchSetting): Map<PytorchModel, PytorchResult> | string {
  const executable = findPytorch();
  if (executable === null) return PYTORCH_MISSING;
  const args = [SCRIPT, '--threads', String(setting.torchThreads), ...models.flatMap((model) => ['--model', model])];
  const run = spawnSync(executable, args, {
    encoding: 'utf8',
    timeout: 15 * 60_000,
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(setting.blasThreads), OMP_NUM_THREADS: String(setting.torchThreads) },
  });
  if (run.status !== 0) return `bench/pytorch.py failed (${run.error?.message ?? `exit ${run.status}`}): ${run.stderr.trim().split('\n').pop() ?? ''}`;
  const results = new Map<PytorchModel, PytorchResult>();
  for (const line of run.stdout.trim().split('\n')) {
    const parsed = JSON.parse(line) as { model: PytorchModel; steps: number; secondsPerEpoch: number; samples: number[]; cpuPerWall: number; torch: string };
    results.set(parsed.model, {
      setting, steps: parsed.steps, secondsPerEpoch: parsed.secondsPerEpoch, samples: parsed.samples, cpuPerWall: parsed.cpuPerWall, version: parsed.torch,
    });
  }
  return results;
}

/** The faster of the two 2-thread settings, per model (each setting run once for all the models). */
export function runPytorchTwoThreads(models: PytorchModel[]): Map<PytorchModel, PytorchResult> | string {
  const best = new Map<PytorchModel, PytorchResult>();
  for (const setting of PYTORCH_TWO_THREAD_SETTINGS) {
    const results = runPytorch(models, setting);
    if (typeof results === 'string') return results;
    for (const [model, result] of results) {
      const previous = best.get(model);
      if (previous === undefined || result.secondsPerEpoch < previous.secondsPerEpoch) best.set(model, result);
    }
  }
  return best;
}

/** One timed run of a served model. */
export interface PytorchRun {
  secondsPerEpoch: number;
  cpuPerWall: number;
  version: string;
}

/** How long one served run may take before the server is stopped (a convnet run takes seconds). */
const SERVED_RUN_TIMEOUT_MS = 5 * 60_000;

/**
 * bench/pytorch.py --serve under one thread setting, kept alive so that bench/versus.ts can alternate
 * its runs with wasmgrad's fits minute by minute. Requests go one at a time: `run` resolves with the
 * run's JSON line, or rejects when the process fails, exits or takes too long.
 */
export class PytorchServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(executable: string, readonly setting: PytorchSetting) {
    this.child = spawn(executable, [SCRIPT, '--threads', String(setting.torchThreads), '--serve'], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(setting.blasThreads), OMP_NUM_THREADS: String(setting.torchThreads) },
    });
    // A process that dies at start (torch fails to import) must not crash the bench: run() reports it.
    this.child.on('error', () => {});
    this.child.stdin.on('error', () => {});
    this.child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-2000);
    });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** A server; throws where no python3 here imports torch (findPytorch() says so first). */
  static start(setting: PytorchSetting): PytorchServer {
    const executable = findPytorch();
    if (executable === null) throw new Error(PYTORCH_MISSING);
    return new PytorchServer(executable, setting);
  }

  /** One timed run of `steps` steps of `model` (built and warmed up at its first request). */
  async run(model: PytorchModel, steps: number): Promise<PytorchRun> {
    this.child.stdin.write(`${JSON.stringify({ model, steps })}\n`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bench/pytorch.py --serve took over ${SERVED_RUN_TIMEOUT_MS / 1000} s for ${steps} ${model} steps`)), SERVED_RUN_TIMEOUT_MS);
    });
    try {
      const next = await Promise.race([this.lines.next(), timeout]);
      if (next.done === true) throw new Error(`bench/pytorch.py --serve exited: ${this.stderr.trim().split('\n').pop() ?? ''}`);
      const parsed = JSON.parse(next.value) as { secondsPerEpoch: number; cpuPerWall: number; torch: string };
      return { secondsPerEpoch: parsed.secondsPerEpoch, cpuPerWall: parsed.cpuPerWall, version: parsed.torch };
    } catch (error) {
      this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the process (its stdin closes: pytorch.py's loop ends). */
  stop(): void {
    this.child.stdin.end();
    if (this.child.exitCode === null) setTimeout(() => this.child.kill(), 5000).unref();
  }
}
