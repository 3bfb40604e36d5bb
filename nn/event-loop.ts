// nn/event-loop.ts — how a long computation (fit's loop over batches and epochs) lets the event
// loop run: timers, I/O, messages to a Worker, and a page's input and rendering. It computes
// nothing; it only decides when to step aside and how, cheaply.
//
// Why not `await new Promise((r) => setTimeout(r, 0))` after every epoch: browsers clamp nested
// timeouts to 4 ms and Node's take ~1 ms, a fixed wait per epoch that dominated short epochs
// (3000 one-step epochs took 15x longer than the same steps in one epoch). Instead we yield only
// when YIELD_EVERY_MILLISECONDS of work have passed since the last yield, and through a task that
// has no clamp: setImmediate in Node, a MessageChannel message in browsers and Workers.

/** Work between two yields: short enough that a page stays responsive (a frame is ~16 ms). */
export const YIELD_EVERY_MILLISECONDS = 25;

type Yield = () => Promise<void>;

function chooseYield(): Yield {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (typeof immediate === 'function') return () => new Promise((resolve) => void immediate(resolve));
  if (typeof MessageChannel === 'function') {
    // One channel for all yields; each message resolves the oldest waiting promise.
    const channel = new MessageChannel();
    const waiting: (() => void)[] = [];
    channel.port1.onmessage = () => waiting.shift()?.();
    return () => new Promise<void>((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(null);
    });
  }
  return () => new Promise((resolve) => setTimeout(resolve, 0));
}

const yieldOnce: Yield = chooseYield();

/**
 * Yields to the event loop when at least YIELD_EVERY_MILLISECONDS have passed since this clock's
 * last yield; otherwise returns at once. One clock per loop (fit makes one per call).
 */
export class YieldClock {
  private last = performance.now();

  /** True when it yielded (so other code may have run meanwhile). */
  async maybeYield(): Promise<boolean> {
    if (performance.now() - this.last < YIELD_EVERY_MILLISECONDS) return false;
    await yieldOnce();
    this.last = performance.now();
    return true;
  }
}
