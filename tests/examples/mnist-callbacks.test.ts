// tests/examples/mnist-callbacks.test.ts — the training-tools example on a small slice of MNIST
// (1,000 training and 200 test images): the checkpoint it loads is the epoch with the lowest
// val_loss, ReduceLROnPlateau's rate is in History, and CSVLogger wrote one row an epoch.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../examples/mnist-callbacks.js';

const folder = mkdtempSync(join(tmpdir(), 'wasmgrad-example-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('examples/mnist-callbacks.ts on a slice of MNIST', () => {
  it('trains, keeps the best epoch, loads it and evaluates it', async () => {
    const { history, bestEpoch, bestValLoss, test } = await run({ folder, trainSamples: 1000, testSamples: 200, epochs: 3, verbose: 0 });
    expect(bestValLoss).toBeCloseTo(history.history.val_loss[bestEpoch], 5);
    expect(history.history.learning_rate).toHaveLength(history.epoch.length);
    expect(test[1]).toBeGreaterThan(0.3); // 1,000 images, 3 epochs of a convnet: well above chance (0.1)
    const rows = readFileSync(join(folder, 'training.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('epoch,accuracy,learning_rate,loss,val_accuracy,val_loss');
    expect(rows).toHaveLength(history.epoch.length + 1);
  });
});
