// tests/nn/saving/untrusted.test.ts — saved-model files that are not what they claim, and save()
// next to files it did not write: loadModel refuses a model.json that is a FIFO, a link to
// /dev/zero, a folder or too big, before reading it; a weights.bin larger than its manifest
// before reading it; a config that asks for more weights than the manifest holds before
// allocating them. save() never removes or replaces what it did not write, follows a link to a
// folder, and cleans up its own leftovers.

import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dense, Sequential, clearSession, loadModel, setSeed, tensor } from '../../../index.js';
import { memoryStats } from '../../../engine/index.js';

let dir: string;
beforeEach(() => {
  clearSession();
  dir = mkdtempSync(join(tmpdir(), 'wasmgrad-untrusted-model-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function model(): Sequential {
  setSeed(4);
  const m = new Sequential([new Dense(4, { inputShape: [3], activation: 'relu' }), new Dense(2)]);
  m.compile({ optimizer: 'adam', loss: 'mse' });
  return m;
}
const x = tensor([[1, 2, 3]]);
const out = (m: Sequential) => Array.from(m.predict(x).data);

describe('loadModel reads bounded', () => {
  it('refuses a model.json that is a FIFO at once (the process can exit)', async () => {
    const target = join(dir, 'm');
    mkdirSync(target);
    execFileSync('mkfifo', [join(target, 'model.json')]);
    await expect(loadModel(target)).rejects.toThrow(/model\.json: cannot be read: model\.json .* is a FIFO \(named pipe\), expected a regular file/);
  }, 5000);

  it('refuses a model.json or a weights.bin that links to /dev/zero, and a model.json that is a folder', async () => {
    const target = join(dir, 'm');
    await model().save(target);
    rmSync(join(target, 'weights.bin'));
    symlinkSync('/dev/zero', join(target, 'weights.bin'));
    await expect(loadModel(target)).rejects.toThrow(/weights\.bin: cannot be read: .* is a character device \(such as \/dev\/zero\)/);
    rmSync(join(target, 'model.json'));
    symlinkSync('/dev/zero', join(target, 'model.json'));
    await expect(loadModel(target)).rejects.toThrow(/model\.json: cannot be read: .* is a character device/);
    rmSync(join(target, 'model.json'));
    mkdirSync(join(target, 'model.json'));
    await expect(loadModel(target)).rejects.toThrow(/model\.json: cannot be read: .* is a folder, expected a regular file/);
  }, 5000);

  it('refuses a model.json over 16 MiB and a weights.bin larger than its manifest, before reading them', async () => {
    const target = join(dir, 'm');
    await model().save(target);
    writeFileSync(join(target, 'weights.bin'), new Uint8Array(100_000));
    await expect(loadModel(target)).rejects.toThrow(/weights\.bin: is longer than its manifest says: it holds 100000 bytes, but the manifest in .*model\.json lists \d+/);
    writeFileSync(join(target, 'model.json'), new Uint8Array(16 * 2 ** 20 + 1));
    await expect(loadModel(target)).rejects.toThrow(/has 16777217 bytes, more than the 16777216 expected at most/);
  });

  it('refuses a config that asks for more weights than the manifest holds, before allocating them', async () => {
    const target = join(dir, 'm');
    await model().save(target);
    const json = JSON.parse(readFileSync(join(target, 'model.json'), 'utf8'));
    const before = memoryStats();
    for (const [field, value] of [['units', 250_000_000], ['units', 5]] as const) {
      const changed = structuredClone(json);
      changed.model.layers[0].config[field] = value;
      writeFileSync(join(target, 'model.json'), JSON.stringify(changed));
      const message = value === 5 ? /do not fit the model: layer 'dense' needs 'dense\/kernel' of shape \[3, 5\]/ : /model\.layers\[0\] \(Dense "dense"\) needs more weights than the \d+ bytes the manifest lists/;
      await expect(loadModel(target)).rejects.toThrow(message);
    }
    const inputShape = structuredClone(json);
    inputShape.model.inputShape = [2 ** 30];
    writeFileSync(join(target, 'model.json'), JSON.stringify(inputShape));
    await expect(loadModel(target)).rejects.toThrow(/needs more weights than|do not form a model/);
    // Nothing big was ever allocated: only the small weights of the models that did build (units: 5).
    expect(memoryStats().bytesReserved - before.bytesReserved).toBeLessThan(2 ** 16);
  });
});

describe('leftovers of an earlier save', () => {
  it("an earlier wasmgrad's interrupted folder swap (.m.old-*) is named when the path holds no model, and loads from there", async () => {
    const m = model();
    const old = join(dir, '.m.old-lq2x9-abc123');
    await m.save(old);
    await expect(loadModel(join(dir, 'm'))).rejects.toThrow(/an interrupted save of an earlier wasmgrad left .*\.m\.old-lq2x9-abc123: a saved model may be in there/);
    expect(out(await loadModel(old))).toEqual(out(m));
  });
});

describe('save() and files it did not write', () => {
  it('refuses, and removes nothing, when weights.bin or model.json is a folder with user files inside', async () => {
    const target = join(dir, 'd');
    await model().save(target);
    rmSync(join(target, 'weights.bin'));
    mkdirSync(join(target, 'weights.bin', 'notes'), { recursive: true });
    writeFileSync(join(target, 'weights.bin', 'notes', 'todo.txt'), 'mine');
    await expect(model().save(target)).rejects.toThrow(/d: holds weights\.bin that is a folder; refusing to replace it/);
    expect(readFileSync(join(target, 'weights.bin', 'notes', 'todo.txt'), 'utf8')).toBe('mine');
  });

  it('refuses to replace a model.json that is a symbolic link (the file it points to stays as it was)', async () => {
    const target = join(dir, 'd');
    await model().save(target);
    writeFileSync(join(dir, 'elsewhere.json'), 'precious');
    rmSync(join(target, 'model.json'));
    symlinkSync(join(dir, 'elsewhere.json'), join(target, 'model.json'));
    await expect(model().save(target)).rejects.toThrow(/holds model\.json that is a symbolic link; refusing to replace it/);
    expect(readFileSync(join(dir, 'elsewhere.json'), 'utf8')).toBe('precious');
    expect(lstatSync(join(target, 'model.json')).isSymbolicLink()).toBe(true);
  });

  it('follows a target that is a link to a folder: the model goes inside, the link stays a link', async () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    const link = join(dir, 'link');
    symlinkSync(real, link);
    const m = model();
    await m.save(link);
    await m.save(link); // and replaces its own save there
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(real).sort()).toEqual(['model.json', 'weights.bin']);
    expect(out(await loadModel(link))).toEqual(out(m));
    symlinkSync(join(dir, 'missing'), join(dir, 'dangling'));
    await expect(m.save(join(dir, 'dangling'))).rejects.toThrow(/is a symbolic link to something that is not a folder/);
  });

  it('cleans up working folders left by killed saves, and leaves anything else in them alone', async () => {
    const target = join(dir, 'd');
    const m = model();
    await m.save(target);
    mkdirSync(join(target, '.saving-0000000001-aaaa'));
    writeFileSync(join(target, '.saving-0000000001-aaaa', 'weights.bin'), 'half');
    mkdirSync(join(target, '.saving-0000000002-bbbb'));
    writeFileSync(join(target, '.saving-0000000002-bbbb', 'diary.txt'), 'not ours');
    await m.save(target);
    expect(readdirSync(target).sort()).toEqual(['.saving-0000000002-bbbb', 'model.json', 'weights.bin']);
    expect(existsSync(join(target, '.saving-0000000002-bbbb', 'diary.txt'))).toBe(true);
    expect(out(await loadModel(target))).toEqual(out(m));
  });
});
