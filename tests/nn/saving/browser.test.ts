// tests/nn/saving/browser.test.ts — the browser forms of saving, as far as Node can check them:
// loading from a URL (a real HTTP server on 127.0.0.1 serving a folder model.save wrote), from
// File objects as an <input type="file"> gives them, where the weights of 'name.json' are looked
// for, and the clear errors for IndexedDB and downloads outside a page. IndexedDB and downloads
// themselves run in headless Chromium (tests/browser/pages/saving.ts, npm run test:browser).

import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, SavedModelError, Sequential, loadModel, setSeed, tensor } from '../../../index.js';
import { savedModelUrls } from '../../../nn/saving/browser.js';

const folder = mkdtempSync(join(tmpdir(), 'wasmgrad-browser-saving-'));
let server: Server;
let base = '';
const x = tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
let model: Sequential;

beforeAll(async () => {
  setSeed(4);
  model = new Sequential([new Dense(4, { inputShape: [3], activation: 'relu' }), new Dense(2)]);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  await model.fit(x, tensor([[1, 0], [0, 1]]), { epochs: 2, verbose: 0 });
  await model.save(join(folder, 'mlp'));
  server = createServer((request, response) => {
    const file = join(folder, decodeURIComponent(new URL(request.url!, 'http://x').pathname));
    const stream = createReadStream(file);
    stream.on('error', () => response.writeHead(404).end('not found'));
    stream.on('open', () => stream.pipe(response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(folder, { recursive: true, force: true });
});

const predictions = (m: Sequential) => Array.from(m.predict(x).data);

describe('loading a saved model from a URL', () => {
  it('reads model.json and weights.bin over HTTP, from the folder URL or model.json, bit for bit', async () => {
    for (const url of [`${base}mlp/`, `${base}mlp/model.json`, `${base}mlp`]) {
      expect(predictions(await loadModel(url)), url).toEqual(predictions(model));
    }
  });

  it('a 404 is a SavedModelError naming the URL and the status', async () => {
    const error = await loadModel(`${base}nothing/model.json`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SavedModelError);
    expect((error as Error).message).toMatch(/nothing\/model\.json: could not be fetched: HTTP 404/);
  });

  it('looks for name.weights.bin beside name.json, and weights.bin beside model.json', () => {
    expect(savedModelUrls('https://example.com/m/mnist.json').weights).toBe('https://example.com/m/mnist.weights.bin');
    expect(savedModelUrls('https://example.com/m/model.json').weights).toBe('https://example.com/m/weights.bin');
    expect(savedModelUrls('https://example.com/m/').modelJson).toBe('https://example.com/m/model.json');
  });
});

describe('loading files a user picked', () => {
  const files = (names: [string, string]) => [
    new File([readFileSync(join(folder, 'mlp', 'model.json'))], names[0]),
    new File([readFileSync(join(folder, 'mlp', 'weights.bin'))], names[1]),
  ];

  it('takes the .json and the .bin, whatever their names and order', async () => {
    expect(predictions(await loadModel(files(['mlp.json', 'mlp.weights.bin'])))).toEqual(predictions(model));
    expect(predictions(await loadModel(files(['model.json', 'weights.bin']).reverse()))).toEqual(predictions(model));
  });

  it('refuses a selection without exactly one .json and one .bin, naming the files', async () => {
    const error = await loadModel([new File(['{}'], 'a.json'), new File(['{}'], 'b.json')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SavedModelError);
    expect((error as Error).message).toMatch(/a\.json, b\.json: expected exactly two files, a model \.json and its weights \.bin/);
  });
});

describe('the page forms outside a page', () => {
  it("save('indexeddb://name') in Node is a SavedModelError saying IndexedDB exists in browsers", async () => {
    await expect(model.save('indexeddb://mnist')).rejects.toThrow(/indexeddb:\/\/mnist: IndexedDB is not available here \(it exists in browsers/);
    await expect(loadModel('indexeddb://mnist')).rejects.toBeInstanceOf(SavedModelError);
  });

  it("save('downloads://name') in Node is a SavedModelError saying downloads need a page", async () => {
    await expect(model.save('downloads://mnist')).rejects.toThrow(/downloads:\/\/mnist: downloads need a page/);
  });

  it('an empty IndexedDB name, or a download name with a slash, is refused', async () => {
    await expect(model.save('indexeddb://')).rejects.toThrow(/expected a name of 1 to 256 characters after indexeddb:\/\//);
    await expect(model.save('downloads://a/b')).rejects.toThrow(/expected a file name after downloads:\/\//);
  });
});
