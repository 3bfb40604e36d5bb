// tests/engine/tensor.test.ts — the Tensor itself: factories and their errors, storage as views into
// WebAssembly memory, scoped() lifetimes and flat memory, autograd bookkeeping, and error messages.

import { describe, expect, it } from 'vitest';
import {
  Adam, Random, add, argmax, full, gatherRows, isGradEnabled, keep, linear, matmul, memoryStats, mul, noGrad, ones,
  parameter, randomNormal, randomUniform, reshape, scoped, sigmoid, sliceRows, softmaxCrossEntropy, sum, tanh, tensor,
  zeros, type Tensor,
} from '../../engine/index.js';
import { heapF32, memory } from '../../kernels/index.js';

// These come first: memoryStats() is compared before and after, and blocks of earlier tests'
// garbage tensors could otherwise be returned by the FinalizationRegistry in between. (Its
// callbacks never run inside synchronous code, and every test here is synchronous, but keeping the
// accounting tests first makes the point moot.)
describe('scoped() and memory', () => {
  it('reclaims every block allocated inside, including gradients', () => {
    const w = parameter(tensor([[0.5, -1], [2, 0.25]]), 'w');
    const before = memoryStats().bytesInUse;
    const loss = scoped(() => {
      const h = tanh(matmul(ones([3, 2]), w));
      const l = sum(mul(h, h));
      l.backward();
      expect(memoryStats().bytesInUse).toBeGreaterThan(before);
      return l.item();
    });
    expect(Number.isFinite(loss)).toBe(true);
    // w.grad is long-lived (w is), so it is the one block that stays: allocated on first backward.
    expect(w.grad).not.toBeNull();
    const afterFirst = memoryStats().bytesInUse;
    scoped(() => sum(mul(tanh(matmul(ones([3, 2]), w)), 2)).backward());
    expect(memoryStats().bytesInUse).toBe(afterFirst);
    scoped(() => zeros([1000]));
    expect(memoryStats().bytesInUse).toBe(afterFirst);
  });

  it('makes a tensor used after its scope throw a clear error', () => {
    const escaped = scoped(() => {
      const t = tensor([1, 2, 3]);
      t.name = 'escapee';
      return t;
    });
    expect(() => escaped.data).toThrow(/escapee.*shape \[3\].*scoped\(\).*reclaimed.*keep\(\)/);
    expect(() => scoped(() => tensor([5])).item()).toThrow(/reclaimed/);
    expect(() => escaped.toArray()).toThrow(/reclaimed/);
    expect(() => add(escaped, 1)).toThrow(/reclaimed/);
  });

  it('lets keep() carry a tensor out of its scope, and only that one', () => {
    const before = memoryStats().bytesInUse;
    let dropped: Tensor | null = null;
    const kept = scoped(() => {
      dropped = tensor([9, 9]);
      return keep(add(tensor([1, 2]), tensor([10, 20])));
    });
    expect(kept.toArray()).toEqual([11, 22]);
    expect(() => dropped!.data).toThrow(/reclaimed/);
    // The kept tensor moved to the JS heap at the scope's end: its block, like the others, is free.
    expect(kept.inWasmMemory).toBe(false);
    expect(memoryStats().bytesInUse).toBe(before);
  });

  it('nests: an inner scope frees its own blocks at its end, the outer scope the rest', () => {
    const before = memoryStats().bytesInUse;
    scoped(() => {
      const outer = tensor([1, 2]);
      const inner = scoped(() => tensor([3, 4]));
      expect(() => inner.data).toThrow(/reclaimed/);
      expect(outer.toArray()).toEqual([1, 2]);
      expect(memoryStats().bytesInUse).toBe(before + 64);
    });
    expect(memoryStats().bytesInUse).toBe(before);
  });

  it('frees the scope even when fn throws', () => {
    const before = memoryStats().bytesInUse;
    expect(() =>
      scoped(() => {
        zeros([100]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(memoryStats().bytesInUse).toBe(before);
  });

  it('stays flat when a step uses views of a parameter (reshape, sliceRows)', () => {
    const w = parameter(tensor(Float32Array.from({ length: 1000 }, (_, i) => i / 1000), [1000]));
    const reserved: number[] = [];
    for (let step = 0; step < 20; step++) {
      scoped(() => {
        w.zeroGrad();
        sum(mul(sliceRows(reshape(w, [10, 100]), 2, 7), 2)).backward();
      });
      reserved.push(memoryStats().bytesReserved);
    }
    // The views' gradients are step-scoped, like any intermediate's (they used to leak a block a step).
    expect(new Set(reserved.slice(1)).size).toBe(1);
    expect(w.grad!.data[150]).toBe(0);
    expect(w.grad!.data[250]).toBe(2);
  });

  it('runs backward() twice over a graph built outside any scope, each time inside a scope', () => {
    const w = parameter(tensor([1, 2]));
    const loss = sum(mul(tanh(w), 3)); // long-lived graph: made outside any scope
    scoped(() => loss.backward());
    const once = Array.from(w.grad!.data);
    scoped(() => loss.backward()); // intermediates' old gradients were reclaimed: not touched again
    expect(Array.from(w.grad!.data)).toEqual(once.map((g) => 2 * g));
  });

  it('stays flat over 200 scoped steps of a small training loop', () => {
    const random = new Random(3);
    const W1 = parameter(randomNormal([4, 16], { random, stddev: 0.5 }));
    const b1 = parameter(zeros([16]));
    const W2 = parameter(randomNormal([16, 3], { random, stddev: 0.5 }));
    const b2 = parameter(zeros([3]));
    const params = [W1, b1, W2, b2];
    const x = randomNormal([32, 4], { random });
    const labels = tensor(Float32Array.from({ length: 32 }, (_, i) => i % 3));
    const optimizer = new Adam({ learningRate: 0.01 });
    const reserved: number[] = [];
    const inUse: number[] = [];
    const losses: number[] = [];
    for (let step = 0; step < 200; step++) {
      losses.push(
        scoped(() => {
          for (const p of params) p.zeroGrad();
          const loss = softmaxCrossEntropy(linear(linear(x, W1, b1, { relu: true }), W2, b2), labels);
          loss.backward();
          optimizer.step(params);
          return loss.item();
        }),
      );
      reserved.push(memoryStats().bytesReserved);
      inUse.push(memoryStats().bytesInUse);
    }
    expect(new Set(reserved.slice(1)).size).toBe(1);
    expect(reserved[reserved.length - 1]).toBe(reserved[0]);
    expect(new Set(inUse.slice(1)).size).toBe(1);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]); // it is really training
  });
});

describe('factories', () => {
  it('makes tensors from nested arrays, flat arrays with a shape, and a number', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.size).toBe(6);
    expect(a.rank).toBe(2);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensor([[[1], [2]], [[3], [4]]]).shape).toEqual([2, 2, 1]);

    const b = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    expect(b.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(tensor(new Uint8Array([7, 255])).toArray()).toEqual([7, 255]);
    expect(tensor([1.5, 2]).shape).toEqual([2]);

    const s = tensor(3.5);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(3.5);
    expect(s.toArray()).toBe(3.5);
  });

  it('stores float32: values are rounded, not kept as float64', () => {
    expect(tensor([0.1]).data[0]).toBe(Math.fround(0.1));
  });

  it('fills: zeros, ones, full, and empty shapes', () => {
    expect(zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(full([2], -2.5).toArray()).toEqual([-2.5, -2.5]);
    const empty = zeros([0, 4]);
    expect(empty.size).toBe(0);
    expect(empty.toArray()).toEqual([]);
  });

  it('draws seeded random tensors: same seed same numbers, in range, with the asked moments', () => {
    const a = randomUniform([1000], { minval: -2, maxval: 3, random: new Random(5) });
    const b = randomUniform([1000], { minval: -2, maxval: 3, random: new Random(5) });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Math.min(...a.data)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...a.data)).toBeLessThan(3);
    const n = randomNormal([20000], { mean: 1, stddev: 2, random: new Random(6) });
    const mean = n.data.reduce((s, v) => s + v, 0) / n.size;
    const variance = n.data.reduce((s, v) => s + (v - mean) ** 2, 0) / n.size;
    expect(mean).toBeCloseTo(1, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(2, 1);
    expect(Array.from(randomNormal([5], { random: new Random(7) }).data)).not.toEqual(Array.from(randomNormal([5], { random: new Random(8) }).data));
  });

  it('rejects a data length that does not fit the shape, naming both', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow('wasmgrad: tensor() got 3 values for shape [2, 2], which holds 4');
    expect(() => tensor(new Float32Array(5), [2, 3])).toThrow(/5 values for shape \[2, 3\]/);
    expect(() => tensor([[1, 2], [3, 4]], [3])).toThrow(/4 values for shape \[3\]/);
  });

  it('rejects ragged nested arrays', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged.*depth 1.*2 entries.*shape \[2, 2\].*got 1/);
    expect(() => tensor([[1, 2], 3] as number[][])).toThrow(/ragged/);
    expect(() => tensor([[[1], [2]], [[3]]])).toThrow(/ragged/);
    expect(() => tensor([[1, 2], [3, [4]]] as number[][])).toThrow(/deeper in some rows/);
    // A nested array after a number is ragged too (it used to be read as NaN).
    expect(() => tensor([1, [2, 3]] as unknown as number[])).toThrow(/deeper in some rows/);
  });

  it('rejects negative and fractional dimensions', () => {
    expect(() => zeros([-1, 2])).toThrow('wasmgrad: zeros() expected a shape of non-negative integers, got [-1, 2]');
    expect(() => tensor([], [2, -1])).toThrow(/tensor\(\) expected a shape of non-negative integers, got \[2, -1\]/);
    expect(() => full([1.5], 0)).toThrow(/non-negative integers, got \[1.5\]/);
    expect(() => randomNormal([3, -3])).toThrow(/non-negative integers/);
  });
});

describe('storage', () => {
  it('.data is a view into the shared WebAssembly memory, at .ptr', () => scoped(() => {
    const t = tensor([1, 2, 3, 4]);
    expect(t.data.buffer).toBe(memory.buffer);
    expect(t.data.byteOffset).toBe(t.ptr);
    expect(t.ptr % 64).toBe(0);
    t.data[2] = 42; // writes go to the memory itself
    expect(heapF32()[t.ptr / 4 + 2]).toBe(42);
    heapF32()[t.ptr / 4] = -7; // and what the kernels write shows in .data
    expect(t.data[0]).toBe(-7);
  }));

  it('outside any scope a tensor lives in an ordinary Float32Array; .ptr moves it into the memory, unchanged', () => {
    const t = tensor([1, 2, 3, 4]);
    expect(t.data.buffer).not.toBe(memory.buffer);
    expect(t.inWasmMemory).toBe(false);
    const before = memoryStats().bytesInUse;
    scoped(() => {
      expect(t.ptr % 64).toBe(0);
      expect(t.data.buffer).toBe(memory.buffer);
      t.data[3] = 40;
      expect(memoryStats().bytesInUse).toBe(before + 64);
    });
    // Back in the JS heap after the scope, with what was written while it was in the memory.
    expect(t.inWasmMemory).toBe(false);
    expect(t.toArray()).toEqual([1, 2, 3, 40]);
    expect(memoryStats().bytesInUse).toBe(before);
  });

  it('reshape is a view: writes through either show in the other', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const y = reshape(x, [3, -1]);
    expect(y.shape).toEqual([3, 2]);
    expect(y.ptr).toBe(x.ptr);
    y.data[5] = 60;
    expect(x.data[5]).toBe(60);
    x.data[0] = 10;
    expect(y.toArray()).toEqual([[10, 2], [3, 4], [5, 60]]);
  });

  it('sliceRows is a view at an offset: writes through either show in the other', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const rows = sliceRows(x, 1, 3);
    expect(rows.toArray()).toEqual([[3, 4], [5, 6]]);
    expect(rows.ptr).toBe(x.ptr + 2 * 4);
    rows.data[0] = 30;
    expect(x.data[2]).toBe(30);
    x.data[5] = 60;
    expect(rows.data[3]).toBe(60);
    // A slice of a slice keeps counting from the original's start.
    expect(sliceRows(rows, 1, 2).toArray()).toEqual([[5, 60]]);
    expect(sliceRows(x, 2, 2).shape).toEqual([0, 2]);
  });

  it('gatherRows reads a tensor in the JavaScript heap where it is: a data set is not moved into the WebAssembly memory', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    expect(x.inWasmMemory).toBe(false);
    scoped(() => {
      // As in a training step: the batch is gathered inside the step's scope.
      expect(gatherRows(x, [2, 0]).toArray()).toEqual([[5, 6], [1, 2]]);
      expect(x.inWasmMemory).toBe(false);
    });
  });

  it('gatherRows is a copy', () => {
    const x = tensor([[1, 2], [3, 4]]);
    const g = gatherRows(x, [1, 1, 0]);
    expect(g.toArray()).toEqual([[3, 4], [3, 4], [1, 2]]);
    g.data[0] = 99;
    expect(x.data[2]).toBe(3);
  });

  it('rejects a reshape that cannot fit and out-of-range slices and rows', () => {
    expect(() => reshape(tensor([1, 2, 3]), [2, -1])).toThrow(/reshape cannot fit 3 elements \(shape \[3\]\) into \[2, -1\]/);
    expect(() => reshape(tensor([1, 2, 3, 4]), [3, 2])).toThrow(/holding 4 elements .*\[4\].*got \[3, 2\]/);
    expect(() => reshape(tensor([1, 2, 3, 4]), [-1, -1])).toThrow(/cannot fit/);
    expect(() => sliceRows(tensor([1, 2]), 1, 3)).toThrow('wasmgrad: sliceRows expected 0 <= start <= end <= 2, got start 1, end 3');
    expect(() => gatherRows(tensor([[1], [2]]), [0, 2])).toThrow('wasmgrad: gatherRows expected row indices in [0, 2), got 2 at position 1');
  });
});

describe('values and messages', () => {
  it('item() reads a one-element tensor of any rank and names the shape otherwise', () => {
    expect(tensor([[4]]).item()).toBe(4);
    expect(tensor([5]).item()).toBe(5);
    expect(() => tensor([1, 2]).item()).toThrow('wasmgrad: item() expected a tensor with one element, got shape [2]');
    expect(() => zeros([0]).item()).toThrow(/got shape \[0\]/);
    expect(() => zeros([2, 3]).item()).toThrow(/got shape \[2, 3\]/);
  });

  it('argmax along the last axis, along axis 0, on a vector; first index wins a tie', () => {
    const x = tensor([[1, 5, 3], [7, -2, 7], [-1, -3, -2]]);
    expect(argmax(x).toArray()).toEqual([1, 0, 0]);
    expect(argmax(x, 0).toArray()).toEqual([1, 0, 1]);
    expect(argmax(tensor([0.1, 0.4, 0.2])).toArray()).toBe(1);
    expect(x.argmax(-1).shape).toEqual([3]);
    expect(() => argmax(x, 2)).toThrow('wasmgrad: argmax expected an axis in [-2, 1] for shape [3, 3], got 2');
  });

  it('names both shapes when broadcasting fails', () => {
    expect(() => add(zeros([2, 3]), zeros([4]))).toThrow(
      'wasmgrad: add cannot broadcast shapes [2, 3] and [4]: sizes 3 and 4 differ in dimension 1',
    );
    expect(() => mul(zeros([3, 1, 5]), zeros([2, 4]))).toThrow(/mul cannot broadcast shapes \[3, 1, 5\] and \[2, 4\]/);
  });

  it('names both shapes when matmul operands do not fit', () => {
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(
      "wasmgrad: matmul expected a's columns to equal b's rows, got a [2, 3] and b [4, 5] (3 != 4)",
    );
    expect(() => matmul(zeros([3]), zeros([3, 1]))).toThrow('wasmgrad: matmul expected the left operand to be 2-D, got shape [3]');
    expect(() => linear(zeros([2, 3]), zeros([4, 5]), null)).toThrow(/linear expected input with 4 features .*\[4, 5\].*\[2, 3\]/);
    expect(() => linear(zeros([2, 4]), zeros([4, 5]), zeros([4]))).toThrow('wasmgrad: linear expected a bias of shape [5], got [4]');
  });

  it('toString previews shape and numbers', () => {
    expect(tensor([[1, 2], [3, 4]]).toString()).toBe('Tensor(shape=[2, 2], data=[1, 2, 3, 4])');
    expect(zeros([10]).toString()).toBe('Tensor(shape=[10], data=[0, 0, 0, 0, 0, 0, 0, 0, ...])');
  });
});

describe('autograd bookkeeping', () => {
  it('records a graph: outputs of ops on parameters require grad and know their recipe', () => {
    const w = parameter(tensor([1, 2]), 'w');
    const c = tensor([3, 4]);
    const y = mul(w, c);
    expect(y.requiresGrad).toBe(true);
    expect(y.recipe?.op).toBe('mul');
    expect(y.recipe?.inputs).toEqual([w, c]);
    // An op on constants only records nothing.
    const z = add(c, c);
    expect(z.requiresGrad).toBe(false);
    expect(z.recipe).toBeNull();
  });

  it('noGrad builds no graph and restores grad mode, even after a throw', () => {
    const w = parameter(tensor([1, 2]));
    expect(isGradEnabled()).toBe(true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return sigmoid(mul(w, 2));
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.recipe).toBeNull();
    expect(isGradEnabled()).toBe(true);
    expect(() => noGrad(() => { throw new Error('inside'); })).toThrow('inside');
    expect(isGradEnabled()).toBe(true);
  });

  it('backward() of a scalar fills leaf gradients (d/dw Σ w·c = c)', () => {
    const w = parameter(tensor([1, 2, 3]));
    sum(mul(w, tensor([4, 5, 6]))).backward();
    expect(w.grad?.toArray()).toEqual([4, 5, 6]);
  });

  it('accumulates leaf gradients across two backward() calls, through intermediates', () => {
    const w = parameter(tensor([1, 2, 3]));
    const loss = sum(mul(mul(w, 2), 1.5)); // two intermediates between w and the loss
    loss.backward();
    expect(w.grad?.toArray()).toEqual([3, 3, 3]);
    loss.backward();
    expect(w.grad?.toArray()).toEqual([6, 6, 6]);
    // Two losses sharing an intermediate h = 3w: d/dw Σh + d/dw Σh² = 3 + 18w.
    const v = parameter(tensor([1, 2, 3]));
    const h = mul(v, 3);
    sum(h).backward();
    sum(mul(h, h)).backward();
    expect(v.grad?.toArray()).toEqual([21, 39, 57]);
    // zeroGrad starts over.
    w.zeroGrad();
    loss.backward();
    expect(w.grad?.toArray()).toEqual([3, 3, 3]);
  });

  it('GEMM gradients: the first contribution after zeroGrad writes, later ones add (linear, matmul)', () => {
    // linear: dW = xᵀ · 1 (the loss is the sum), written on the first backward, added on the second.
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const W = parameter(tensor([[0.5, -1], [2, 0.25]]));
    const loss = sum(linear(x, W, null));
    loss.backward();
    expect(W.grad?.toArray()).toEqual([[9, 9], [12, 12]]);
    loss.backward();
    expect(W.grad?.toArray()).toEqual([[18, 18], [24, 24]]);
    W.zeroGrad();
    expect(W.grad?.toArray()).toEqual([[0, 0], [0, 0]]); // reading .grad after zeroGrad gives zeros
    W.zeroGrad();
    loss.backward();
    expect(W.grad?.toArray()).toEqual([[9, 9], [12, 12]]);
    // matmul(a, a): two contributions in one backward, dout·aᵀ written, then aᵀ·dout added.
    const a = parameter(tensor([[1, 2], [3, 4]]));
    sum(matmul(a, a)).backward();
    expect(a.grad?.toArray()).toEqual([[7, 11], [9, 13]]);
  });

  it('backward() through a chain of 20,000 ops (no call-stack overflow)', () => {
    scoped(() => {
      const w = parameter(tensor([1, 2]));
      let y = w;
      for (let i = 0; i < 20000; i++) y = i % 2 === 0 ? add(y, 1) : mul(y, 1);
      sum(y).backward();
      expect(w.grad?.toArray()).toEqual([1, 1]);
    });
  });

  it('backward() reaches a tensor used by several ops once, after all of them (a diamond)', () => {
    const w = parameter(tensor([0.5]));
    const h = tanh(w);
    const loss = add(mul(h, h), mul(h, 3)); // dL/dh = 2h + 3, visited by two paths
    loss.backward();
    const t = Math.tanh(0.5);
    expect(w.grad!.data[0]).toBeCloseTo((2 * t + 3) * (1 - t * t), 6);
  });

  it('backward(grad) seeds with the given upstream gradient', () => {
    const w = parameter(tensor([[1, 2], [3, 4]]));
    const y = mul(w, w);
    y.backward(tensor([[1, 0], [0, -1]]));
    expect(w.grad?.toArray()).toEqual([[2, 0], [0, -8]]);
  });

  it('backward() without a gradient needs a one-element tensor; a given gradient must fit', () => {
    const w = parameter(tensor([1, 2]));
    const y = mul(w, 2);
    expect(() => y.backward()).toThrow(
      'wasmgrad: backward() without an argument needs a one-element tensor (a loss), got shape [2]; pass the upstream gradient of that shape',
    );
    expect(() => y.backward(tensor([1, 2, 3]))).toThrow('wasmgrad: backward(grad) expected grad of shape [2], got [3]');
    expect(w.grad).toBeNull(); // nothing ran
  });

  it('leaves constants without a gradient', () => {
    const w = parameter(tensor([1, 2]));
    const c = tensor([3, 4]);
    sum(mul(w, c)).backward();
    expect(c.grad).toBeNull();
    expect(w.grad).not.toBeNull();
  });
});
