// tests/engine/schedules.test.ts — learning-rate schedules follow Keras' formulas step by step,
// an optimizer uses schedule(iterations) for each update (0 for the first), a scheduled rate
// cannot be set by hand, and a saved model resumes the schedule where it stopped.

import { describe, expect, it } from 'vitest';
import { Dense, Sequential, loadModelFromArtifacts, optimizers, setSeed, tensor } from '../../index.js';
import { CosineDecay, ExponentialDecay, PiecewiseConstantDecay, parameter } from '../../engine/index.js';

const steps = (schedule: { at(step: number): number }, n: number) => Array.from({ length: n }, (_, s) => schedule.at(s));

describe('schedules follow Keras formulas', () => {
  it('ExponentialDecay: initial · rate^(step / decaySteps), floored with staircase', () => {
    const smooth = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 2, decayRate: 0.5 });
    steps(smooth, 5).forEach((lr, s) => expect(lr).toBeCloseTo(0.1 * 0.5 ** (s / 2), 15));
    expect(smooth.at(2)).toBeCloseTo(0.05, 15);
    const stairs = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 2, decayRate: 0.5, staircase: true });
    expect(steps(stairs, 6)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
  });

  it("PiecewiseConstantDecay: Keras' example, values[i] up to and including boundaries[i]", () => {
    // keras.optimizers.schedules.PiecewiseConstantDecay([100000, 110000], [1.0, 0.5, 0.1]), at the edges.
    const schedule = new PiecewiseConstantDecay({ boundaries: [100000, 110000], values: [1.0, 0.5, 0.1] });
    expect([0, 100000, 100001, 110000, 110001, 1e9].map((s) => schedule.at(s))).toEqual([1.0, 1.0, 0.5, 0.5, 0.1, 0.1]);
    expect(() => new PiecewiseConstantDecay({ boundaries: [10, 5], values: [1, 2, 3] })).toThrow(/increasing numbers/);
    expect(() => new PiecewiseConstantDecay({ boundaries: [10], values: [1] })).toThrow(/expected 2 values/);
  });

  it('CosineDecay: half a cosine from the initial rate to alpha · initial, then flat', () => {
    const schedule = new CosineDecay({ initialLearningRate: 0.1, decaySteps: 4, alpha: 0.2 });
    const expected = [0, 1, 2, 3, 4, 5].map((s) => 0.1 * (0.8 * 0.5 * (1 + Math.cos((Math.PI * Math.min(s, 4)) / 4)) + 0.2));
    steps(schedule, 6).forEach((lr, i) => expect(lr).toBeCloseTo(expected[i], 15));
    expect(schedule.at(2)).toBeCloseTo(0.06, 15); // halfway: (1 + 0.2) / 2 of 0.1
    expect(schedule.at(100)).toBeCloseTo(0.02, 15);
  });

  it('CosineDecay with warmup: linear from the initial rate to warmupTarget, then the decay from it', () => {
    const schedule = new CosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupTarget: 0.1, warmupSteps: 4 });
    expect(steps(schedule, 5).map((v) => +v.toFixed(12))).toEqual([0, 0.025, 0.05, 0.075, 0.1]);
    expect(schedule.at(9)).toBeCloseTo(0.05, 15); // 5 of 10 decay steps
    expect(schedule.at(14)).toBeCloseTo(0, 15);
  });
});

describe('an optimizer with a schedule', () => {
  it('updates with schedule(iterations): SGD moves w by lr_t · g at each step', () => {
    const schedule = new ExponentialDecay({ initialLearningRate: 0.5, decaySteps: 1, decayRate: 0.5 });
    const sgd = new optimizers.SGD({ learningRate: schedule });
    const w = parameter(tensor([1]), 'w');
    const seen: number[] = [];
    for (let t = 0; t < 4; t++) {
      expect(sgd.learningRate).toBe(schedule.at(t));
      const before = w.data[0];
      w.zeroGrad();
      w.gradBuffer().data[0] = 1; // g = 1
      sgd.step([w]);
      seen.push(before - w.data[0]);
    }
    seen.forEach((delta, t) => expect(delta).toBeCloseTo(0.5 * 0.5 ** t, 6));
  });

  it('refuses to have its rate set (what ReduceLROnPlateau would do), as Keras does', () => {
    const adam = new optimizers.Adam({ learningRate: new CosineDecay({ initialLearningRate: 0.01, decaySteps: 10 }) });
    expect(() => { adam.learningRate = 0.1; }).toThrow(/follows a CosineDecay schedule and cannot be set/);
    const fixed = new optimizers.Adam({ learningRate: 0.01 });
    fixed.learningRate = 0.001;
    expect(fixed.learningRate).toBe(0.001);
  });

  it('a saved model keeps the schedule and its step: training after loading continues the sequence', async () => {
    setSeed(3);
    const make = () => new Sequential([new Dense(2, { inputShape: [3] })]);
    const x = tensor([[1, 2, 3], [0, 1, 0], [2, 0, 1], [1, 1, 1]]), y = tensor([[1, 0], [0, 1], [1, 1], [0, 0]]);
    const schedule = new PiecewiseConstantDecay({ boundaries: [1, 3], values: [0.1, 0.05, 0.01] });
    const model = make();
    model.compile({ optimizer: new optimizers.SGD({ learningRate: schedule }), loss: 'mse' });
    await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, shuffle: false });
    const copy = loadModelFromArtifacts(model.toArtifacts());
    expect(copy.optimizer!.schedule?.getConfig()).toEqual({ boundaries: [1, 3], values: [0.1, 0.05, 0.01] });
    expect(copy.optimizer!.iterations).toBe(2);
    expect(copy.optimizer!.learningRate).toBe(0.05);
    await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, shuffle: false });
    await copy.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, shuffle: false });
    expect(Array.from(copy.getWeights()[0].data)).toEqual(Array.from(model.getWeights()[0].data));
    expect(copy.optimizer!.learningRate).toBe(0.01);
    // A saved schedule that is not one of Keras' is refused with the file named.
    const artifacts = model.toArtifacts();
    (artifacts.modelJson.training!.optimizer.config.learningRate as { className: string }).className = 'StepDecay';
    expect(() => loadModelFromArtifacts(artifacts)).toThrow(/model\.json: the compile settings in "training" are not valid: unknown learning-rate schedule "StepDecay"/);
  });
});
