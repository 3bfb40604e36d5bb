// nn/progress.ts — Keras' progress bar (keras.utils.Progbar, the text of Keras 2.5–2.12) and the
// "Epoch 1/5" header. Pure formatting: it writes strings to a stream and knows nothing of models,
// tensors or kernels. It does not average metrics either: callers pass the values to show.
//
//   469/469 [==============================] - 5s 10ms/step - loss: 0.2447 - accuracy: 0.9270
//
// verbose 1 on a terminal redraws that line in place with '\r'; off a terminal (a file, a pipe,
// CI logs) it writes only the final line of each epoch. verbose 2 writes one line per epoch:
//
//   469/469 - 5s - loss: 0.2447 - accuracy: 0.9270 - 5s/epoch - 10ms/step

/** Where the bar is written: process.stdout, or anything with write(). */
export interface OutputStream {
  write(s: string): unknown;
  /** True for a terminal: only then is the line redrawn in place with '\r'. */
  isTTY?: boolean;
  /** Terminal width: a line being redrawn is cut to fit, so it never wraps onto a second row. */
  columns?: number;
}

export interface ProgressBarOptions {
  /** Steps in one epoch (batches per epoch). */
  target: number;
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Default process.stdout in Node, the console elsewhere. */
  stream?: OutputStream;
  /** A clock in milliseconds; inject a fake one in tests. Default performance.now(). */
  now?: () => number;
}

/** Keras' bar width, in characters between the brackets. */
const BAR_WIDTH = 30;
/** Keras redraws at most every 0.05 s, so a fast epoch does not flood the terminal. */
const REDRAW_INTERVAL_MS = 50;

/**
 * The "Epoch 1/5" line Keras prints before each epoch, with its newline. `epoch` counts from 0, as
 * Keras' callbacks do. Like Keras, there is no header when training for a single epoch.
 */
export function epochHeader(epoch: number, epochs: number): string {
  return epochs > 1 ? `Epoch ${epoch + 1}/${epochs}\n` : '';
}

/**
 * A progress bar for one epoch (or one evaluate()): call update(step, metrics) after each step,
 * and finish(metrics) at the end (update(target, metrics) finishes too). Calls after the finish
 * are ignored, so the final line is written exactly once.
 *
 *   const bar = new ProgressBar({ target: 469 });
 *   bar.update(1, { loss: 2.31, accuracy: 0.11 });
 *   ...
 *   bar.finish({ loss: 0.2447, accuracy: 0.927 });
 */
export class ProgressBar {
  readonly target: number;
  readonly verbose: 0 | 1 | 2;
  private readonly stream: OutputStream;
  private readonly now: () => number;
  /** Clock readings in milliseconds (compared in ms, so 50 ms apart is never 0.04999... s apart). */
  private readonly startMs: number;
  private msAfterFirstStep: number | null = null;
  private lastDrawMs = -Infinity;
  /** Length of the line last drawn on the terminal: a shorter redraw pads over its leftovers. */
  private drawnWidth = 0;
  private finished = false;

  constructor(options: ProgressBarOptions) {
    const { target } = options;
    if (!Number.isInteger(target) || target <= 0) {
      throw new Error(`wasmgrad: ProgressBar expected target (steps per epoch) to be a positive integer, got ${target}`);
    }
    this.target = target;
    this.verbose = options.verbose ?? 1;
    this.stream = options.stream ?? defaultOutputStream();
    this.now = options.now ?? (() => performance.now());
    this.startMs = this.now();
  }

  /** Records that `step` steps (counted from 1) are done; `metrics` are shown in the given order. */
  update(step: number, metrics: Record<string, number> = {}): void {
    if (this.finished || this.verbose === 0) return;
    const isFinal = step >= this.target;
    const now = this.now();
    const secondsPerStep = this.estimateSecondsPerStep(step, now);
    if (isFinal) this.finished = true;

    if (this.verbose === 2) {
      if (isFinal) this.stream.write(this.epochLine(step, metrics, now));
      return;
    }
    const onTerminal = this.stream.isTTY === true;
    // Off a terminal '\r' does not move back: every redraw would pile up in the log. Write the end only.
    if (!onTerminal && !isFinal) return;
    if (!isFinal && now - this.lastDrawMs < REDRAW_INTERVAL_MS) return;
    this.lastDrawMs = now;

    let line = this.barText(step) + this.infoText(step, metrics, now, secondsPerStep, isFinal);
    if (!onTerminal) {
      this.stream.write(line + '\n');
      return;
    }
    // A line wider than the terminal wraps, and '\r' then returns only to the start of its last row.
    const columns = this.stream.columns;
    if (!isFinal && columns !== undefined && columns > 1 && line.length > columns - 1) line = line.slice(0, columns - 1);
    const leftovers = Math.max(0, this.drawnWidth - line.length);
    this.drawnWidth = line.length;
    this.stream.write('\r' + line + ' '.repeat(leftovers) + (isFinal ? '\n' : ''));
  }

  /** Ends the epoch: the bar is drawn full with the elapsed time, time per step and these metrics. */
  finish(metrics: Record<string, number> = {}): void {
    this.update(this.target, metrics);
  }

  /** ` 42/469 [=====>........................]`: the counter is right-aligned to the target's width. */
  private barText(step: number): string {
    const digits = String(this.target).length;
    let bar = `${String(step).padStart(digits)}/${this.target} [`;
    const filled = Math.floor(BAR_WIDTH * (step / this.target));
    if (filled > 0) bar += '='.repeat(filled - 1) + (step < this.target ? '>' : '=');
    return bar + '.'.repeat(Math.max(0, BAR_WIDTH - filled)) + ']';
  }

  /** ` - ETA: 3s - loss: ...` while in progress, ` - 5s 10ms/step - loss: ...` at the end. */
  private infoText(step: number, metrics: Record<string, number>, now: number, secondsPerStep: number, isFinal: boolean): string {
    let info = isFinal
      ? ` - ${pythonFixed((now - this.startMs) / 1000, 0)}s${formatDuration(secondsPerStep, 'step')}`
      : ` - ETA: ${formatEta(secondsPerStep * (this.target - step))}`;
    for (const [name, value] of Object.entries(metrics)) {
      info += ` - ${name}: ${formatMetric(value, Math.abs(value) > 1e-3)}`;
    }
    return info;
  }

  /** The verbose 2 line: counter, elapsed time, metrics, then time per epoch and per step. */
  private epochLine(step: number, metrics: Record<string, number>, now: number): string {
    const digits = String(this.target).length;
    const epochSeconds = (now - this.startMs) / 1000;
    let line = `${String(step).padStart(digits)}/${this.target} - ${pythonFixed(epochSeconds, 0)}s`;
    // Keras tests `value > 1e-3` here, not abs(value) as in verbose 1: negative values print as 1e notation.
    for (const [name, value] of Object.entries(metrics)) line += ` - ${name}: ${formatMetric(value, value > 1e-3)}`;
    line += ` -${formatDuration(epochSeconds, 'epoch')} -${formatDuration(epochSeconds / this.target, 'step')}`;
    return line + '\n';
  }

  /**
   * Seconds per step, leaving out the first step when there are more: the first one is often slow
   * (compilation, caches, tier-up) and would inflate every ETA. Keras' _estimate_step_duration.
   */
  private estimateSecondsPerStep(step: number, now: number): number {
    if (step <= 0) return 0;
    const msPerStep = this.msAfterFirstStep !== null && step > 1
      ? (now - this.msAfterFirstStep) / (step - 1)
      : (now - this.startMs) / step;
    if (step === 1) this.msAfterFirstStep = now;
    return msPerStep / 1000;
  }
}

/** `3s`, `1:39` or `2:46:39`, cut (not rounded) to whole seconds, as Keras does. */
function formatEta(seconds: number): string {
  const two = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (seconds > 3600) return `${Math.floor(seconds / 3600)}:${two((seconds % 3600) / 60)}:${two(seconds % 60)}`;
  if (seconds > 60) return `${Math.floor(seconds / 60)}:${two(seconds % 60)}`;
  return `${Math.floor(seconds)}s`;
}

/** ` 5s/epoch`, ` 10ms/step` or ` 512us/step`: Keras picks the unit that gives a whole number >= 1. */
function formatDuration(seconds: number, unit: string): string {
  if (seconds >= 1 || seconds === 0) return ` ${pythonFixed(seconds, 0)}s/${unit}`;
  if (seconds >= 1e-3) return ` ${pythonFixed(seconds * 1e3, 0)}ms/${unit}`;
  return ` ${pythonFixed(seconds * 1e6, 0)}us/${unit}`;
}

/** `0.2447` (Python's '%.4f'), or `1.0000e-04` ('%.4e') for values Keras deems too small. */
function formatMetric(value: number, fixed: boolean): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  return fixed ? pythonFixed(value, 4) : pythonExponential(value, 4);
}

/**
 * Python's '%.{digits}f'. JavaScript's toFixed rounds an exact tie away from zero (2.5 → "3",
 * 0.03125 → "0.0313"); Python rounds it to even ("2", "0.0312"). Only values whose binary form
 * ends exactly on the half are ties, and their exact decimal expansion is short, so 25 extra
 * digits show whether the rest is exactly "5000...".
 */
export function pythonFixed(value: number, digits: number): string {
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e21) return value.toFixed(digits); // toFixed switches to 1e21 notation there
  const exact = magnitude.toFixed(digits + 25);
  const kept = exact.slice(0, exact.length - 25 - (digits === 0 ? 1 : 0)); // no trailing '.'
  return sign + roundHalfEven(kept, exact.slice(exact.length - 25), magnitude.toFixed(digits));
}

/** Python's '%.{digits}e': like pythonFixed for ties, and the exponent has at least two digits. */
export function pythonExponential(value: number, digits: number): string {
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const magnitude = Math.abs(value);
  const [exactMantissa, exactExponent] = magnitude.toExponential(digits + 25).split('e');
  const cut = exactMantissa.length - 25;
  const roundedUp = magnitude.toExponential(digits);
  const kept = roundHalfEven(exactMantissa.slice(0, cut), exactMantissa.slice(cut), null);
  const [mantissa, exponent] = kept === null ? roundedUp.split('e') : [kept, exactExponent];
  const power = Number(exponent);
  return `${sign}${mantissa}e${power < 0 ? '-' : '+'}${String(Math.abs(power)).padStart(2, '0')}`;
}

/**
 * `kept` is the number cut after the last digit to show, `rest` the exact digits after it. On an
 * exact tie whose kept last digit is even, Python keeps it as is; otherwise JavaScript's rounding
 * (`otherwise`) already agrees with Python.
 */
function roundHalfEven<T>(kept: string, rest: string, otherwise: T): string | T {
  const isTie = /^50*$/.test(rest);
  const lastDigit = Number(kept[kept.length - 1]);
  return isTie && lastDigit % 2 === 0 ? kept : otherwise;
}

/** A float as Python's str() writes it: 0.1, 1.0, 1e-05, 1e+16, inf, nan (shortest round-trip digits). */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e16)) {
    return value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  const text = String(value);
  return Number.isInteger(value) ? `${text}.0` : text;
}

/** process.stdout in Node; elsewhere (a browser) whole lines to console.log, and no '\r' redraws. */
export function defaultOutputStream(): OutputStream {
  const stdout = (globalThis as { process?: { stdout?: OutputStream } }).process?.stdout;
  if (stdout !== undefined) return stdout;
  let pending = '';
  return {
    isTTY: false,
    write(s: string) {
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) console.log(line);
    },
  };
}
