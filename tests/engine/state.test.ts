// tests/engine/state.test.ts — the state that saving relies on: Random.getState/setState continues a
// stream exactly, Optimizer.getState/setState continues updates exactly, and both refuse bad input
// without changing anything.

import { describe, expect, it } from 'vitest';
import { Adam, Optimizer, RMSprop, Random, SGD, parameter, tensor, type Tensor } from '../../engine/index.js';

describe('Random state', () => {
  it('a generator set to a snapshot continues with the same numbers, normals included', () => {
    const a = new Random(5);
    for (let i = 0; i < 1001; i++) a.uniform(); // enough steps that the state words turn signed
    a.normal(); // leaves a spare Box-Muller value behind
    const state = a.getState();
    expect(state.spareNormal).not.toBeNull();
    expect(state.words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)).toBe(true);
    const b = new Random(999);
    b.setState(JSON.parse(JSON.stringify(state))); // survives JSON
    const next = (r: Random) => [r.normal(), r.normal(), r.nextUint32(), r.uniform(), r.int(10)];
    expect(next(b)).toEqual(next(a));
  });

  it('refuses states that are not one', () => {
    const r = new Random(1);
    const before = r.getState();
    expect(() => r.setState({ words: [1, 2, 3], spareNormal: null })).toThrow(/expected \{ words: four 32-bit unsigned integers, spareNormal \}, got words \[1,2,3\]/);
    expect(() => r.setState({ words: [1, 2, 3, -4], spareNormal: null })).toThrow(/four 32-bit unsigned integers/);
    expect(() => r.setState({ words: [0, 0, 0, 0], spareNormal: null })).toThrow(/four zero state words/);
    expect(() => r.setState({ words: [1, 2, 3, 4], spareNormal: Number.NaN })).toThrow(/spareNormal to be a finite number or null, got NaN/);
    expect(r.getState()).toEqual(before);
  });
});

describe('Optimizer state', () => {
  /** Two parameters with fixed gradients, as after a backward pass. */
  function params(): Tensor[] {
    const w = parameter(tensor([[0.5, -1], [2, 0.25]]), 'w');
    const b = parameter(tensor([0.1, -0.2]), 'b');
    w.grad = tensor([[0.3, -0.1], [0.05, 0.2]]);
    b.grad = tensor([-0.4, 0.6]);
    return [w, b];
  }

  const makers: [string, () => Optimizer][] = [
    ['Adam', () => new Adam({ learningRate: 0.01 })],
    ['SGD with momentum', () => new SGD({ momentum: 0.9 })],
    ['SGD without momentum (no slots)', () => new SGD()],
    ['RMSprop with momentum', () => new RMSprop({ momentum: 0.5 })],
  ];
  for (const [label, make] of makers) {
    it(`${label}: a fresh optimizer given the state continues exactly like the original`, () => {
      const p1 = params(), p2 = params();
      const original = make(), copy = make();
      for (let i = 0; i < 3; i++) original.step(p1);
      p1.forEach((p, i) => p2[i].data.set(p.data));
      copy.setState(p2, original.getState(p1));
      expect(copy.iterations).toBe(3);
      for (let i = 0; i < 2; i++) {
        original.step(p1);
        copy.step(p2);
      }
      p1.forEach((p, i) => expect(Array.from(p2[i].data)).toEqual(Array.from(p.data)));
    });
  }

  it('getState lists every parameter, creating zero slots for ones not yet updated', () => {
    const state = new Adam().getState(params());
    expect(state.iterations).toBe(0);
    expect(state.slots.map((s) => s.map((t) => [t.shape, Array.from(t.data)]))).toEqual([
      [[[2, 2], [0, 0, 0, 0]], [[2, 2], [0, 0, 0, 0]]],
      [[[2], [0, 0]], [[2], [0, 0]]],
    ]);
  });

  it('setState refuses a state that does not fit, before changing anything', () => {
    const p = params();
    const adam = new Adam();
    adam.step(p);
    const m0 = Array.from(adam.getState(p).slots[0][0].data);
    const slot = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    expect(() => adam.setState(p, { iterations: 5, slots: [[slot([2, 2]), slot([2, 2])]] })).toThrow(/adam optimizer setState expected slots for 2 parameters, got 1/);
    expect(() => adam.setState(p, { iterations: 5, slots: [[slot([2, 2]), slot([2, 2])], [slot([2])]] })).toThrow(/expected 2 slot tensors for parameter 1 \(b\), got 1/);
    expect(() => adam.setState(p, { iterations: 5, slots: [[slot([2, 2]), slot([4])], [slot([2]), slot([2])]] })).toThrow(/expected slot 1 of parameter 0 \(w\) to have shape \[2, 2\], got \[4\]/);
    expect(() => adam.setState(p, { iterations: -1, slots: [] })).toThrow(/expected iterations to be a non-negative integer, got -1/);
    expect(adam.iterations).toBe(1);
    expect(Array.from(adam.getState(p).slots[0][0].data)).toEqual(m0);
  });
});
