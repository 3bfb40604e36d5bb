// tests/nn/callbacks.test.ts — Keras' training callbacks: ModelCheckpoint's names and contents
// (every epoch, best only, weights only), ReduceLROnPlateau and LearningRateScheduler on scripted
// loss curves (the learning-rate sequence Keras' algorithm gives), CSVLogger's file, TerminateOnNaN
// and LambdaCallback. A scripted callback placed first overwrites val_loss, as in Keras' own tests.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CSVLogger, Callback, Dense, LambdaCallback, LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau, Sequential, TerminateOnNaN,
  checkpointPath, clearSession, loadModel, optimizers, setSeed, tensor, type Logs,
} from '../../index.js';

let folder: string;
beforeEach(() => {
  clearSession();
  folder = mkdtempSync(join(tmpdir(), 'wasmgrad-callbacks-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const x = tensor([[1, 0], [0, 1], [1, 1], [0.5, -1], [-1, 0.3], [0.2, 0.2], [0.9, 0.1], [0, 0]]);
const y = tensor([0, 1, 1, 0, 2, 2, 0, 2]);

function model(learningRate = 0.01): Sequential {
  setSeed(21);
  const m = new Sequential([new Dense(3, { inputShape: [2], activation: 'softmax' })]);
  m.compile({ optimizer: new optimizers.Adam({ learningRate }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}

/** Overwrites `key` in each epoch's logs with the scripted values (and snapshots the weights). */
function scripted(values: number[], key = 'val_loss', snapshots: number[][] = []): Callback {
  return new (class extends Callback {
    override onEpochEnd(epoch: number, logs: Logs) {
      logs[key] = values[epoch];
      snapshots.push(this.model!.getWeights().flatMap((w) => Array.from(w.data)));
    }
  })();
}

describe('ModelCheckpoint', () => {
  it("fills Python templates: 'ckpt-{epoch:02d}-{val_loss:.2f}' and friends", () => {
    expect(checkpointPath('ckpt-{epoch:02d}-{val_loss:.2f}', 0, { val_loss: 0.12345 })).toBe('ckpt-01-0.12');
    expect(checkpointPath('m{epoch:03d}_{loss:.3e}_{accuracy}', 11, { loss: 0.000123456, accuracy: 0.75 })).toBe('m012_1.235e-04_0.75');
    expect(checkpointPath('best', 4, {})).toBe('best');
    expect(() => checkpointPath('ckpt-{val_acc:.2f}', 0, { loss: 1, val_accuracy: 0.5 })).toThrow(/cannot fill \{val_acc\}.*loss, val_accuracy/);
  });

  it('saves after every epoch under the templated names; each folder loads as that epoch\'s model', async () => {
    const m = model();
    const snapshots: number[][] = [];
    const template = join(folder, 'ckpt-{epoch:02d}-{val_loss:.2f}');
    await m.fit(x, y, { epochs: 3, verbose: 0, callbacks: [scripted([0.9, 0.456, 0.7], 'val_loss', snapshots), new ModelCheckpoint(template)] });
    expect(readdirSync(folder).sort()).toEqual(['ckpt-01-0.90', 'ckpt-02-0.46', 'ckpt-03-0.70']);
    const second = await loadModel(join(folder, 'ckpt-02-0.46'));
    expect(second.getWeights().flatMap((w) => Array.from(w.data))).toEqual(snapshots[1]);
    expect(second.optimizer!.iterations).toBe(2); // the full model: optimizer state too
  });

  it('saveBestOnly keeps the best epoch in one folder (mode from the name: min for val_loss, max for accuracy)', async () => {
    const m = model();
    const snapshots: number[][] = [];
    const path = join(folder, 'best');
    const checkpoint = new ModelCheckpoint(path, { saveBestOnly: true });
    await m.fit(x, y, { epochs: 5, verbose: 0, callbacks: [scripted([0.9, 0.5, 0.7, 0.5, 0.8], 'val_loss', snapshots), checkpoint] });
    expect(checkpoint.best).toBe(0.5);
    const best = await loadModel(path);
    expect(best.getWeights().flatMap((w) => Array.from(w.data))).toEqual(snapshots[1]); // 0.5 again at epoch 3 is no improvement
    const byAccuracy = new ModelCheckpoint(join(folder, 'acc'), { monitor: 'val_accuracy', saveBestOnly: true });
    expect(byAccuracy.mode).toBe('max');
    expect(readdirSync(folder).filter((f) => !f.startsWith('.'))).toEqual(['best']);
  });

  it('saveWeightsOnly writes no optimizer state, and loadWeights reads it into a model of the same shape', async () => {
    const m = model();
    const path = join(folder, 'weights');
    await m.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new ModelCheckpoint(path, { saveWeightsOnly: true })] });
    const json = JSON.parse(readFileSync(join(path, 'model.json'), 'utf8'));
    expect(json.training).toBeNull();
    const other = model();
    await other.loadWeights(path);
    expect(other.getWeights().map((w) => Array.from(w.data))).toEqual(m.getWeights().map((w) => Array.from(w.data)));
    const wrong = new Sequential([new Dense(4, { inputShape: [2] })]);
    await expect(wrong.loadWeights(path)).rejects.toThrow(/weights of shapes \[2, 4\], \[4\], but .* holds \[2, 3\], \[3\]/);
  });

  it('saveBestOnly names the quantity it cannot see', async () => {
    await expect(model().fit(x, y, { epochs: 1, verbose: 0, callbacks: [new ModelCheckpoint(join(folder, 'b'), { saveBestOnly: true })] }))
      .rejects.toThrow(/ModelCheckpoint is watching 'val_loss'.*validationData/);
  });
});

describe('ReduceLROnPlateau', () => {
  it("Keras' algorithm on a scripted curve: patience, minDelta, cooldown and minLr", async () => {
    const m = model(0.1);
    // Improves, then plateaus; 0.79995 is within minDelta 1e-4 of 0.8, so not an improvement.
    const curve = [1, 0.8, 0.79995, 0.81, 0.8, 0.85, 0.9, 0.95, 0.99, 1, 1.1];
    const reduce = new ReduceLROnPlateau({ factor: 0.5, patience: 2, cooldown: 1, minLr: 0.02 });
    const history = await m.fit(x, y, { epochs: curve.length, verbose: 0, callbacks: [scripted(curve), reduce] });
    // Traced through Keras' on_epoch_end (learning_rate is logged before the epoch's change): wait
    // 1, 2 -> reduce at epoch 3 (0.1 -> 0.05); the cooldown epoch 4 resets wait, then counts it (1);
    // 2 at epoch 5 (0.025); epoch 6 counts 1; epoch 7 reduces (0.0125, raised to minLr 0.02); at
    // epoch 9 the rate is already minLr (compared in float32) and stays.
    expect(history.history.learning_rate.map((v) => +v.toFixed(10))).toEqual([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02]);
    expect(m.optimizer!.learningRate).toBe(0.02);
  });

  it("'max' for accuracies, and a clear error on an optimizer whose rate follows a schedule", async () => {
    const m = model(0.1);
    const history = await m.fit(x, y, {
      epochs: 4, verbose: 0, callbacks: [scripted([0.5, 0.6, 0.6, 0.6], 'val_accuracy'), new ReduceLROnPlateau({ monitor: 'val_accuracy', patience: 1 })],
    });
    expect(history.history.learning_rate.map((v) => +v.toFixed(10))).toEqual([0.1, 0.1, 0.1, 0.01]);
    const scheduled = new Sequential([new Dense(3, { inputShape: [2] })]);
    const schedule = new optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.9 });
    scheduled.compile({ optimizer: new optimizers.SGD({ learningRate: schedule }), loss: 'sparse_categorical_crossentropy' });
    await expect(scheduled.fit(x, y, { epochs: 2, verbose: 0, callbacks: [scripted([1, 1]), new ReduceLROnPlateau({ patience: 0 })] }))
      .rejects.toThrow(/follows a ExponentialDecay schedule and cannot be set/);
  });
});

describe('LearningRateScheduler', () => {
  it("sets the rate before each epoch from (epoch, rate); History logs it as 'learning_rate'", async () => {
    const m = model(0.1);
    const seen: number[] = [];
    const probe = new LambdaCallback({ onEpochBegin: () => void seen.push(m.optimizer!.learningRate) });
    const scheduler = new LearningRateScheduler((epoch, lr) => (epoch < 2 ? lr : lr * 0.5));
    const history = await m.fit(x, y, { epochs: 4, verbose: 0, callbacks: [scheduler, probe] });
    expect(seen).toEqual([0.1, 0.1, 0.05, 0.025]);
    expect(history.history.learning_rate).toEqual([0.1, 0.1, 0.05, 0.025]);
  });
});

describe('CSVLogger', () => {
  it('writes the header (epoch, then sorted keys) and one row an epoch; append keeps the old rows', async () => {
    const file = join(folder, 'log.csv');
    const m = model();
    await m.fit(x, y, { epochs: 2, verbose: 0, validationSplit: 0.25, callbacks: [new CSVLogger(file)] });
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('epoch,accuracy,loss,val_accuracy,val_loss');
    expect(lines).toHaveLength(3);
    const history = await m.fit(x, y, { epochs: 1, verbose: 0, validationSplit: 0.25, callbacks: [new CSVLogger(file, { append: true, separator: ',' })] });
    const again = readFileSync(file, 'utf8').trim().split('\n');
    expect(again).toHaveLength(4);
    expect(again[3].split(',').map(Number)).toEqual([0, history.history.accuracy[0], history.history.loss[0], history.history.val_accuracy[0], history.history.val_loss[0]]);
    writeFileSync(file, 'old contents\n');
    await m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new CSVLogger(file)] });
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('epoch,accuracy,loss');
  });
});

describe('TerminateOnNaN and LambdaCallback', () => {
  it('TerminateOnNaN ends fit at the first non-finite loss and returns the History; that batch is not applied', async () => {
    const big = tensor(Array.from({ length: 16 }, (_, i) => i * 10), [16, 1]);
    const target = tensor(Array.from({ length: 16 }, (_, i) => i * 30), [16, 1]);
    const m = new Sequential([new Dense(1, { inputShape: [1] })]);
    m.compile({ optimizer: new optimizers.SGD({ learningRate: 1e6 }), loss: 'mse' });
    let lastGood: number[] = [];
    const keep = new LambdaCallback({
      onBatchEnd: (_batch, logs) => {
        if (Number.isFinite(logs!.loss)) lastGood = m.getWeights().flatMap((w) => Array.from(w.data));
      },
    });
    const history = await m.fit(big, target, { batchSize: 4, epochs: 50, verbose: 0, shuffle: false, callbacks: [keep, new TerminateOnNaN()] });
    expect(history.epoch.length).toBeLessThan(50);
    expect(Number.isFinite(history.history.loss.at(-1)!)).toBe(false);
    expect(m.getWeights().flatMap((w) => Array.from(w.data))).toEqual(lastGood);
  });

  it('LambdaCallback calls each function it is given, with Keras\' arguments; a wrong key is named', async () => {
    const calls: string[] = [];
    const lambda = new LambdaCallback({
      onTrainBegin: () => void calls.push('train'),
      onEpochEnd: (epoch, logs) => void calls.push(`epoch ${epoch} ${Object.keys(logs!).join(',')}`),
      onTrainEnd: () => void calls.push('end'),
    });
    await model().fit(x, y, { epochs: 2, verbose: 0, callbacks: [lambda] });
    expect(calls).toEqual(['train', 'epoch 0 loss,accuracy', 'epoch 1 loss,accuracy', 'end']);
    expect(() => new LambdaCallback({ onEpochFinish: () => undefined } as never)).toThrow(/got onEpochFinish/);
  });
});

describe('batch hooks', () => {
  it('run in order, each promise awaited before the next hook and the next batch; a hook returning nothing needs no await', async () => {
    const calls: string[] = [];
    const later = (what: string) => new Promise<void>((resolve) => setTimeout(() => { calls.push(what); resolve(); }, 1));
    const slow = new LambdaCallback({ onBatchBegin: (batch) => later(`slow begin ${batch}`), onBatchEnd: (batch) => later(`slow end ${batch}`) });
    const plain = { onBatchBegin: (batch: number) => void calls.push(`plain begin ${batch}`), onBatchEnd: (batch: number) => void calls.push(`plain end ${batch}`) };
    await model().fit(x, y, { batchSize: 4, epochs: 1, verbose: 0, shuffle: false, callbacks: [slow, plain] });
    expect(calls).toEqual([
      'slow begin 0', 'plain begin 0', 'slow end 0', 'plain end 0',
      'slow begin 1', 'plain begin 1', 'slow end 1', 'plain end 1',
    ]);
  });

  it('a hook that rejects ends fit with its error', async () => {
    const failing = new LambdaCallback({ onBatchEnd: async () => { throw new Error('hook failed'); } });
    await expect(model().fit(x, y, { batchSize: 4, epochs: 1, verbose: 0, callbacks: [failing] })).rejects.toThrow('hook failed');
  });
});

describe('written atomically through the existing save', () => {
  it('a checkpoint folder is replaced whole each epoch: no temporary folders are left', async () => {
    const path = join(folder, 'last');
    await model().fit(x, y, { epochs: 3, verbose: 0, callbacks: [new ModelCheckpoint(path)] });
    expect(readdirSync(folder)).toEqual(['last']);
    expect(existsSync(join(path, 'weights.bin'))).toBe(true);
  });
});
