// kernels/web-workers.ts — how the GEMM thread pool starts its threads in a browser: a Web Worker
// per thread, running the same worker loop as Node's worker_threads (kernels/gemm-worker.ts'
// gemmWorkerMain, as source text in a Blob URL), given the compiled module and the one shared
// memory by postMessage. It computes nothing and decides nothing: the pool does both.
//
// It needs a cross-origin-isolated page (or a Worker of one): only there can a shared
// WebAssembly.Memory be posted to another thread. A Blob URL, rather than a file beside the
// library, because a bundler would have to be told about such a file; a Blob URL inherits the
// page's origin and its COEP policy, so it runs wherever the page may start Workers.

import { gemmWorkerMain, type GemmWorkerSetup } from './gemm-worker.js';

/** What the pool needs of a started thread (the same shape as the Node one). */
export interface WebThreadHandle {
  terminate(): void;
  onExit(listener: (error: Error | null) => void): void;
}

/**
 * The worker's program. It waits for its setup, runs the loop until told to stop, then says so
 * and closes: a Web Worker whose code has returned would otherwise idle forever, and the page
 * would never learn that its blocks may be reused.
 */
const WEB_WORKER_SOURCE =
  'self.onmessage = (event) => {\n' +
  '  self.onmessage = null;\n' +
  `  (${gemmWorkerMain.toString()})(event.data).then(\n` +
  "    () => { self.postMessage('exited'); self.close(); },\n" +
  "    (error) => { self.postMessage('exited: ' + (error && error.message || error)); self.close(); });\n" +
  '};\n';

let sourceUrl: string | null = null;

/** True where Web Workers can share our memory: Worker exists and the page is cross-origin isolated. */
export function webWorkersPossible(): boolean {
  return typeof Worker === 'function' && typeof Blob === 'function' && typeof URL?.createObjectURL === 'function' &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** Starts one Web Worker running gemmWorkerMain(setup). */
export function startWebWorker(setup: GemmWorkerSetup): WebThreadHandle {
  sourceUrl ??= URL.createObjectURL(new Blob([WEB_WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(sourceUrl, { name: `wasmgrad GEMM worker ${setup.id}` });
  const listeners: ((error: Error | null) => void)[] = [];
  let ended = false;
  const end = (error: Error | null) => {
    if (ended) return;
    ended = true;
    for (const listener of listeners) listener(error);
  };
  worker.onmessage = (event: MessageEvent<string>) => {
    if (typeof event.data === 'string' && event.data.startsWith('exited')) {
      const reason = event.data.slice('exited: '.length);
      end(event.data === 'exited' ? null : new Error(reason));
    }
  };
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault(); // reported through the pool, not as an uncaught page error
    end(new Error(event.message || 'the worker failed'));
  };
  worker.postMessage(setup);
  return {
    terminate: () => {
      worker.terminate();
      end(null);
    },
    onExit: (listener) => void listeners.push(listener),
  };
}
