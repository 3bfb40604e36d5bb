// tests/engine/memory.test.ts — loops of public calls made outside any scope leave the WebAssembly
// memory exactly as they found it, with no garbage collection at all: tensors made or returned
// there live in ordinary Float32Arrays (garbage the collector counts), and each op, backward() or
// optimizer step runs in a scope of its own. Also: sizes no memory can hold are refused before
// anything is allocated, and the rule for a .data array kept past its scope.

import { describe, expect, it } from 'vitest';
import {
  Adam, MAX_ELEMENTS, parameter, randomNormal, randomUniform, Random, scoped, setMemoryLimit, softmaxCrossEntropy, tensor, zeros,
  ones, full, memoryStats,
} from '../../engine/index.js';
import { memory, threadsReady } from '../../kernels/index.js';

const figures = () => {
  const { bytesInUse, bytesReserved, memoryBytes } = memoryStats();
  return { bytesInUse, bytesReserved, memoryBytes };
};

/**
 * Runs `body` `times` times and expects the memory's figures after each call to equal the first's.
 * The GEMM's worker threads start in the background on first use and take their long-lived
 * workspaces when they join, so the first call waits for them (the loop itself never yields).
 */
async function expectFlat(times: number, body: (i: number) => void): Promise<void> {
  body(0);
  await threadsReady();
  body(0);
  const first = figures();
  for (let i = 1; i < times; i++) {
    body(i);
    expect(figures()).toEqual(first);
  }
}

describe('loops of public calls outside any scope, without a garbage collection', () => {
  it('tensor creation (every factory) takes no WebAssembly memory at all', () => {
    const before = figures();
    const random = new Random(1);
    for (let i = 0; i < 50; i++) {
      tensor(new Float32Array(4096), [64, 64]);
      zeros([64, 64]); ones([4096]); full([8, 512], 2);
      randomNormal([4096], { random }); randomUniform([4096], { random });
    }
    expect(figures()).toEqual(before);
  });

  it('ops and methods: each result moves to the JS heap, its scratch memory is given back', async () => {
    const random = new Random(2);
    const x = randomNormal([32, 64], { random }), w = randomNormal([64, 100], { random });
    await expectFlat(30, () => {
      const h = x.matmul(w).relu().add(1).softmax();
      expect(h.inWasmMemory).toBe(false);
      expect(h.sum().item()).toBeCloseTo(32, 3);
    });
  });

  it('a hand-written training loop (forward, backward, Adam step) on parameters made by the user', async () => {
    const random = new Random(3);
    const W = parameter(randomNormal([8, 4], { random, stddev: 0.3 }), 'W');
    const x = randomNormal([16, 8], { random });
    const labels = tensor(Float32Array.from({ length: 16 }, (_, i) => i % 4));
    const adam = new Adam({ learningRate: 0.05 });
    const losses: number[] = [];
    await expectFlat(40, () => {
      W.zeroGrad();
      const loss = softmaxCrossEntropy(x.matmul(W), labels);
      loss.backward();
      adam.step([W]);
      losses.push(loss.item());
    });
    expect(W.inWasmMemory).toBe(false); // the parameter itself went back to the JS heap after each step
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
  });

  it('a graph built outside any scope still runs backward() (what it saved moved to the JS heap with it)', () => {
    const w = parameter(tensor([0.5, -2, 3]));
    const loss = w.tanh().mul(w).sum();
    loss.backward();
    const expected = [0.5, -2, 3].map((v) => Math.tanh(v) + v * (1 - Math.tanh(v) ** 2));
    Array.from(w.grad!.data).forEach((g, i) => expect(g).toBeCloseTo(expected[i], 5));
  });
});

describe('sizes no memory can hold', () => {
  it('are refused before anything is allocated, naming the shape and the bytes', () => {
    const before = figures();
    expect(() => zeros([2 ** 30])).toThrow(/zeros\(\) shape \[1073741824\] holds 1073741824 float32 values \(4294967296 bytes\), more than the 4294901760 bytes \(4 GiB\)/);
    expect(() => full([2 ** 20, 2 ** 20], 1)).toThrow(RangeError);
    expect(() => tensor([], [MAX_ELEMENTS + 1])).toThrow(/4 GiB/);
    expect(figures()).toEqual(before);
  });

  it('in a scope, a block over the memory limit fails with every figure unchanged, and memory still works', () => {
    const previous = setMemoryLimit(memory.buffer.byteLength);
    const work = () => scoped(() => zeros([1000]).add(1).sum().item());
    try {
      work(); // its blocks, freed, stay reserved for the next scope: in the figures before, however the tests are ordered
      const before = figures();
      expect(() => scoped(() => zeros([memory.buffer.byteLength / 4]))).toThrow(/out of memory/);
      expect(figures()).toEqual(before);
      expect(work()).toBe(1000);
      expect(figures()).toEqual(before);
    } finally {
      setMemoryLimit(previous);
    }
  });
});

describe('a .data array taken inside scoped()', () => {
  // The rule (scoped()'s documentation): the tensor throws after its scope; a .data array kept past
  // it is a window onto memory the next tensor reuses, so copy out (toArray, Array.from) instead.
  it('the tensor throws after the scope, and copies taken inside keep their numbers', () => {
    let inside = null as unknown as ReturnType<typeof tensor>;
    const copy = scoped(() => {
      inside = tensor([1, 2, 3]);
      return inside.toArray();
    });
    expect(() => inside.data).toThrow(/reclaimed/);
    expect(() => inside.ptr).toThrow(/reclaimed/);
    scoped(() => tensor([7, 7, 7])); // reuses the block
    expect(copy).toEqual([1, 2, 3]);
  });

  it('a tensor from outside the scope is moved back out of the memory, so its old window is not its data', () => {
    const t = tensor([1, 2, 3]);
    const window = scoped(() => {
      t.ptr; // a kernel would read it here: it moves into the memory for the scope
      return t.data;
    });
    expect(window.buffer).toBe(memory.buffer);
    expect(t.data.buffer).not.toBe(memory.buffer); // t itself is safe: take .data again
    scoped(() => tensor([9, 9, 9]));
    expect(t.toArray()).toEqual([1, 2, 3]);
  });
});
