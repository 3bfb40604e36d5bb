// tests/nn/unclear-errors.test.ts — the bare TypeErrors of issue 12, each now a clear Error at the
// public boundary that names what was expected and what was given: something that is not a layer
// pushed onto model.layers, loadModelFromArtifacts without artifacts, and toCategorical inferring
// a class count too big to hold (named, and refused before anything is allocated).

import { describe, expect, it } from 'vitest';
import { Dense, Sequential, loadModelFromArtifacts, tensor, toCategorical } from '../../index.js';
import { memoryStats } from '../../engine/index.js';

describe('model.layers', () => {
  it('cannot take something that is not a layer (push, index, length): model.add() is the way in', () => {
    const m = new Sequential([new Dense(2, { inputShape: [3] })]);
    const layers = m.layers as unknown as unknown[];
    expect(() => layers.push({ units: 3 })).toThrow(/model\.layers is read-only \(model 'sequential(_\d+)?'\); add layers with model\.add\(layer\), got an attempt to set layers\[1\] to \{"units":3\}/);
    expect(() => { layers[0] = 'dense'; }).toThrow(/model\.layers is read-only/);
    expect(() => { layers.length = 0; }).toThrow(/model\.layers is read-only/);
    expect(m.layers).toHaveLength(1);
    expect(m.predict(tensor([[1, 2, 3]])).shape).toEqual([1, 2]); // the model is as it was
  });

  it('still reads like an array', () => {
    const d = new Dense(2, { inputShape: [3] });
    const m = new Sequential([d, new Dense(1)]);
    expect(m.layers[0]).toBe(d);
    expect(m.layers.map((l) => l.className)).toEqual(['Dense', 'Dense']);
    expect([...m.layers]).toHaveLength(2);
    expect(Array.isArray(m.layers)).toBe(true);
  });
});

describe('loadModelFromArtifacts', () => {
  for (const [name, value, shown] of [['undefined', undefined, 'undefined'], ['null', null, 'null'], ['a number', 5, '5'], ['a string', 'model.json', '"model.json"']] as const) {
    it(`given ${name} says what it expected`, () => {
      expect(() => loadModelFromArtifacts(value as never)).toThrow(`wasmgrad: loadModelFromArtifacts expected artifacts { modelJson, weights } (what model.toArtifacts() returns), got ${shown}`);
    });
  }
  it('given an object without modelJson or weights names the missing part', () => {
    expect(() => loadModelFromArtifacts({ weights: new Uint8Array(0) } as never)).toThrow(/\(modelJson is missing\)/);
    expect(() => loadModelFromArtifacts({ modelJson: {} } as never)).toThrow(/\(weights is missing\)/);
  });
});

describe('toCategorical', () => {
  it('names the class count it inferred and refuses a huge one before allocating', () => {
    const before = memoryStats();
    const rss = process.memoryUsage().rss;
    expect(() => toCategorical([1e9])).toThrow(/toCategorical inferred 1,000,000,001 classes from the largest id 1000000000 \(at position 0\); one-hot labels of shape \[1, 1000000001\] would take 4000000004 bytes\. Pass numClasses/);
    expect(() => toCategorical(tensor([3, 2 ** 28]))).toThrow(/inferred 268,435,457 classes/);
    expect(memoryStats()).toEqual(before);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100e6);
  });

  it('with numClasses given, refuses a size no memory can hold, and still one-hot encodes normal ids', () => {
    expect(() => toCategorical([1, 2], 2 ** 30)).toThrow(/4 GiB/);
    expect(toCategorical([2, 0], 3).toArray()).toEqual([[0, 0, 1], [1, 0, 0]]);
  });
});
