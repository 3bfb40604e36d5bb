// tests/formats/tfjs-files.test.ts — reading TensorFlow.js' Layers format from disk: weights
// sharded over several files (as tensorflowjs_converter splits them), model.json named directly or
// through its folder, and the bounded-read rules (regular files only, sizes checked against the
// manifest before reading, weight paths kept inside the model's folder).

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTfjsModel } from '../../formats/tfjs-files.js';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'wasmgrad-tfjs-'));
});
afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

/** Dense(3) on 2 inputs, 9 weights, its manifest over `paths`. */
function modelJson(paths: string[]): object {
  return {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'tiny', layers: [{ class_name: 'Dense', config: { name: 'dense', units: 3, activation: 'linear', use_bias: true, batch_input_shape: [null, 2] } }] },
    },
    weightsManifest: [{ paths, weights: [{ name: 'dense/kernel', shape: [2, 3], dtype: 'float32' }, { name: 'dense/bias', shape: [3], dtype: 'float32' }] }],
  };
}

const values = Float32Array.from([1, 2, 3, 4, 5, 6, 0.5, -0.5, 0.25]);
const bytes = new Uint8Array(values.buffer);

describe('readTfjsModel', () => {
  it('reads weights sharded over several files, from the folder or from model.json itself', async () => {
    writeFileSync(join(folder, 'model.json'), JSON.stringify(modelJson(['group1-shard1of2.bin', 'group1-shard2of2.bin'])));
    writeFileSync(join(folder, 'group1-shard1of2.bin'), bytes.subarray(0, 20)); // shards split mid-tensor, as the converter does
    writeFileSync(join(folder, 'group1-shard2of2.bin'), bytes.subarray(20));
    for (const path of [folder, join(folder, 'model.json')]) {
      const { plan, weights } = await readTfjsModel(path);
      expect(plan.model).toMatchObject({ name: 'tiny', inputShape: [2], layers: [{ className: 'Dense', config: { name: 'dense', units: 3 } }] });
      expect(weights.map((w) => w.name)).toEqual(['dense/kernel', 'dense/bias']);
      expect(Array.from(weights[0].values)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Array.from(weights[1].values)).toEqual([0.5, -0.5, 0.25]);
    }
  });

  it('checks the weight files\' sizes against the manifest before reading them', async () => {
    writeFileSync(join(folder, 'model.json'), JSON.stringify(modelJson(['w.bin'])));
    writeFileSync(join(folder, 'w.bin'), bytes.subarray(0, 32));
    await expect(readTfjsModel(folder)).rejects.toThrow(/w\.bin: holds 32 bytes, but the manifest in .*model\.json says its weights take 36/);
    writeFileSync(join(folder, 'w.bin'), new Uint8Array(1 << 20)); // a huge file is refused the same way, unread
    await expect(readTfjsModel(folder)).rejects.toThrow(/holds 1048576 bytes, but the manifest .* take 36/);
  });

  it('refuses weight paths outside the model\'s folder', async () => {
    mkdirSync(join(folder, 'inner'));
    writeFileSync(join(folder, 'w.bin'), bytes);
    for (const path of ['../w.bin', '%2e%2e/w.bin', '/etc/passwd', 'file:///etc/passwd']) {
      writeFileSync(join(folder, 'inner', 'model.json'), JSON.stringify(modelJson([path])));
      await expect(readTfjsModel(join(folder, 'inner'))).rejects.toThrow(/lists the weight file .*, which is not a file inside the model's folder/);
    }
  });

  it('opens regular files only: a FIFO or a folder named as a weight file is refused without waiting', async () => {
    writeFileSync(join(folder, 'model.json'), JSON.stringify(modelJson(['pipe.bin'])));
    execFileSync('mkfifo', [join(folder, 'pipe.bin')]);
    await expect(readTfjsModel(folder)).rejects.toThrow(/pipe\.bin: is not a regular file/);
    mkdirSync(join(folder, 'other', 'model.json'), { recursive: true });
    await expect(readTfjsModel(join(folder, 'other', 'model.json'))).rejects.toThrow(/model\.json .*other\/model\.json is a folder, expected a regular file/);
  });

  it('names a missing model.json and a missing weight file', async () => {
    await expect(readTfjsModel(folder)).rejects.toThrow(/model\.json .*model\.json does not exist/);
    writeFileSync(join(folder, 'model.json'), JSON.stringify(modelJson(['absent.bin'])));
    await expect(readTfjsModel(folder)).rejects.toThrow(/absent\.bin: not found \(.*model\.json lists it\)/);
  });
});
