// tests/nn/progress.test.ts — the progress bar's exact text against Keras 2.x's Progbar, on a fake
// terminal and on a fake file, with a fake clock in milliseconds; throttling; verbose 2 and 0.

import { describe, expect, it } from 'vitest';
import { ProgressBar, epochHeader, pythonExponential, pythonFixed, pythonFloat, type OutputStream } from '../../nn/progress.js';

/** A stream that records each write, and a clock the test moves by hand. */
function setup(options: { isTTY: boolean; columns?: number; target: number; verbose?: 0 | 1 | 2 }) {
  const writes: string[] = [];
  const stream: OutputStream = { isTTY: options.isTTY, columns: options.columns, write: (s: string) => writes.push(s) };
  let ms = 0;
  const bar = new ProgressBar({ target: options.target, verbose: options.verbose ?? 1, stream, now: () => ms });
  return { bar, writes, at: (t: number) => { ms = t; } };
}

/** One epoch of the MNIST MLP, 469 steps, with the clock readings used by several tests. */
function seedEpoch(options: { isTTY: boolean; verbose?: 0 | 1 | 2 }) {
  const { bar, writes, at } = setup({ ...options, target: 469 });
  at(100); bar.update(1, { loss: 2.3012, accuracy: 0.1234 });
  at(120); bar.update(2, { loss: 2.2, accuracy: 0.2 });
  at(1090); bar.update(100, { loss: 0.5, accuracy: 0.85 });
  at(4780); bar.finish({ loss: 0.2447, accuracy: 0.927, val_loss: 0.1, val_accuracy: 0.97 });
  return writes;
}

const FINAL_LINE = '469/469 [==============================] - 5s 10ms/step - loss: 0.2447 - accuracy: 0.9270 - val_loss: 0.1000 - val_accuracy: 0.9700\n';

describe('ProgressBar, verbose 1 on a terminal', () => {
  it('redraws in place with \\r, ETA while in progress, elapsed and time per step at the end', () => {
    expect(seedEpoch({ isTTY: true })).toEqual([
      // First step: no bar yet (30 * 1/469 < 1), ETA from the first step's 0.1 s: 46.8 s cut to 46s.
      '\r  1/469 [..............................] - ETA: 46s - loss: 2.3012 - accuracy: 0.1234',
      // Step 2 came 20 ms later: within 50 ms of the last draw, so not drawn.
      // Step 100: 10 ms per step after the first, 369 left: ETA 3s; the line is one character
      // shorter than the last one, so one space erases its leftover.
      '\r100/469 [=====>........................] - ETA: 3s - loss: 0.5000 - accuracy: 0.8500 ',
      '\r' + FINAL_LINE,
    ]);
  });

  it('puts the head > at the progress point and fills with = when done', () => {
    const { bar, writes, at } = setup({ isTTY: true, target: 469 });
    at(1000); bar.update(235, {});
    expect(writes[0]).toBe(`\r235/469 [${'='.repeat(14)}>${'.'.repeat(15)}] - ETA: 0s`);
  });

  it('cuts a line being redrawn to the terminal width, so it never wraps; the final line is whole', () => {
    const { bar, writes, at } = setup({ isTTY: true, columns: 40, target: 469 });
    at(100); bar.update(1, { loss: 2.3012 });
    at(4780); bar.finish({ loss: 0.2447 });
    expect(writes[0]).toBe(`\r  1/469 [${'.'.repeat(30)}`);
    expect(writes[0]).toHaveLength(1 + 39);
    expect(writes[1]).toBe('\r469/469 [==============================] - 5s 10ms/step - loss: 0.2447\n');
  });

  it('draws at most every 50 ms: 1000 steps 1 ms apart give 20 redraws and the final line', () => {
    const { bar, writes, at } = setup({ isTTY: true, target: 1000 });
    for (let step = 1; step < 1000; step++) {
      at(step);
      bar.update(step, { loss: 1 });
    }
    at(1000);
    bar.finish({ loss: 0.5 });
    // Drawn at steps 1, 51, 101, ..., 951 (each 50 ms after the previous draw), then the end.
    expect(writes).toHaveLength(21);
    // 30 * 51/1000 fills one cell: the head itself.
    expect(writes[1]).toBe(`\r  51/1000 [>${'.'.repeat(29)}] - ETA: 0s - loss: 1.0000`);
    expect(writes[20]).toBe('\r1000/1000 [==============================] - 1s 1ms/step - loss: 0.5000\n');
  });

  it('formats a long ETA as h:mm:ss or m:ss, cut to whole seconds', () => {
    const long = setup({ isTTY: true, target: 10000 });
    long.at(1000); long.bar.update(1, { loss: 1 });
    expect(long.writes[0]).toBe('\r    1/10000 [..............................] - ETA: 2:46:39 - loss: 1.0000');
    const medium = setup({ isTTY: true, target: 100 });
    medium.at(1000); medium.bar.update(1, {});
    expect(medium.writes[0]).toBe('\r  1/100 [..............................] - ETA: 1:39');
  });
});

describe('ProgressBar, verbose 1 off a terminal (file, pipe, CI log)', () => {
  it('writes only the final line of the epoch, with no carriage return', () => {
    expect(seedEpoch({ isTTY: false })).toEqual([FINAL_LINE]);
  });

  it('never writes \\r over a whole epoch of updates', () => {
    const { bar, writes, at } = setup({ isTTY: false, target: 469 });
    for (let step = 1; step < 469; step++) {
      at(step * 10);
      bar.update(step, { loss: 1 / step });
    }
    at(4690);
    bar.finish({ loss: 0.01 });
    const text = writes.join('');
    expect(text).not.toContain('\r');
    expect(text.split('\n')).toHaveLength(2); // one line and its newline
    expect(text).toBe('469/469 [==============================] - 5s 10ms/step - loss: 0.0100\n');
  });

  it('picks s, ms or us per step as Keras does, rounding ties to even like Python', () => {
    const fast = setup({ isTTY: false, target: 10000 });
    fast.at(5000); fast.bar.finish({});
    expect(fast.writes).toEqual(['10000/10000 [==============================] - 5s 500us/step\n']);

    const slow = setup({ isTTY: false, target: 2 });
    slow.at(1500); slow.bar.update(1, {});
    slow.at(4000); slow.bar.finish({});
    // 2.5 s for the second step: Python's '%.0f' % 2.5 is '2'.
    expect(slow.writes).toEqual(['2/2 [==============================] - 4s 2s/step\n']);
  });

  it("shows metrics with 4 decimals, tiny ones in Python's 1e notation, NaN as nan", () => {
    const { bar, writes, at } = setup({ isTTY: false, target: 1 });
    at(2500);
    bar.finish({ loss: 0.03125, mae: 0.0001, zero: 0, diverged: NaN });
    expect(writes).toEqual([
      '1/1 [==============================] - 2s 2s/step - loss: 0.0312 - mae: 1.0000e-04 - zero: 0.0000e+00 - diverged: nan\n',
    ]);
  });

  it('writes the final line once: update(target) finishes, a later finish() is ignored', () => {
    const { bar, writes, at } = setup({ isTTY: false, target: 3 });
    at(30); bar.update(3, { loss: 0.5 });
    at(40); bar.finish({ loss: 0.4 });
    expect(writes).toEqual(['3/3 [==============================] - 0s 10ms/step - loss: 0.5000\n']);
  });
});

describe('ProgressBar, verbose 2 and 0', () => {
  it('verbose 2 writes one line per epoch, with time per epoch and per step, even on a terminal', () => {
    const expected = ['469/469 - 5s - loss: 0.2447 - accuracy: 0.9270 - val_loss: 0.1000 - val_accuracy: 0.9700 - 5s/epoch - 10ms/step\n'];
    expect(seedEpoch({ isTTY: true, verbose: 2 })).toEqual(expected);
    expect(seedEpoch({ isTTY: false, verbose: 2 })).toEqual(expected);
  });

  it('verbose 0 writes nothing', () => {
    expect(seedEpoch({ isTTY: true, verbose: 0 })).toEqual([]);
    expect(seedEpoch({ isTTY: false, verbose: 0 })).toEqual([]);
  });
});

describe('epoch header and argument checks', () => {
  it('prints Epoch n/N counting from 0 as callbacks do, and nothing for a single epoch (as Keras)', () => {
    expect(epochHeader(0, 5)).toBe('Epoch 1/5\n');
    expect(epochHeader(4, 5)).toBe('Epoch 5/5\n');
    expect(epochHeader(0, 1)).toBe('');
  });

  it('rejects a target that is not a positive whole number of steps', () => {
    expect(() => new ProgressBar({ target: 0, stream: { write: () => {} } })).toThrow(/positive integer, got 0/);
    expect(() => new ProgressBar({ target: 2.5, stream: { write: () => {} } })).toThrow(/positive integer/);
  });
});

describe("Python's number formatting", () => {
  it("str(float): shortest digits, '.0' on whole numbers, exponents below 1e-4 and from 1e16", () => {
    const cases: [number, string][] = [
      [0.1, '0.1'], [1, '1.0'], [0.0001, '0.0001'], [0.00001, '1e-05'], [0.000123, '0.000123'], [1.5e-7, '1.5e-07'],
      [1e16, '1e+16'], [123456789.5, '123456789.5'], [-2, '-2.0'], [NaN, 'nan'], [Infinity, 'inf'], [-Infinity, '-inf'],
    ];
    for (const [value, text] of cases) expect(pythonFloat(value)).toBe(text);
  });

  it("rounds exact ties to even, as '%.0f' and '%.4f' do", () => {
    expect([0.5, 1.5, 2.5, 3.5].map((v) => pythonFixed(v, 0))).toEqual(['0', '2', '2', '4']);
    expect(pythonFixed(0.03125, 4)).toBe('0.0312');
    expect(pythonFixed(0.09375, 4)).toBe('0.0938');
    expect(pythonFixed(0.2447, 4)).toBe('0.2447');
    expect(pythonFixed(-0.5, 0)).toBe('-0');
  });

  it("writes '%.4e' with a signed two-digit exponent", () => {
    expect(pythonExponential(0.0001, 4)).toBe('1.0000e-04');
    expect(pythonExponential(0, 4)).toBe('0.0000e+00');
    expect(pythonExponential(1.23456e-7, 4)).toBe('1.2346e-07');
    expect(pythonExponential(-3.90625e-3, 4)).toBe('-3.9062e-03');
    expect(pythonExponential(12345, 4)).toBe('1.2345e+04');
  });
});
