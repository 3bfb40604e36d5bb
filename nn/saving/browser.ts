// nn/saving/browser.ts — where a page keeps a saved model, since it has no file system: IndexedDB
// ('indexeddb://name'), the user's Downloads folder ('downloads://name'), files the user picks in
// an <input type="file">, and any URL (fetch). Each moves the two parts of the saved form
// (model.json's text and weights.bin's bytes) and nothing else: checking and building the model
// is the format's job, whichever way the bytes came. Every failure is a SavedModelError naming
// the place and the problem.

import { SavedModelError } from './format.js';

export const INDEXEDDB_SCHEME = 'indexeddb://';
export const DOWNLOADS_SCHEME = 'downloads://';

/** The two parts of a saved model, as they travel: model.json as text, weights.bin as bytes. */
export interface SavedFiles {
  modelJsonText: string;
  weights: Uint8Array;
  /** How messages name the two parts ('indexeddb://mnist/model.json', a URL, a picked file's name). */
  names: { modelJson: string; weights: string };
}

// ---- IndexedDB ---------------------------------------------------------------------------------
// One database, 'wasmgrad', with one object store, 'models', keyed by the name after the scheme.
// A save is one put() in one transaction: IndexedDB commits it whole or not at all, so a failed
// save (quota, a closed tab) leaves the model saved before under that name as it was.

const DATABASE = 'wasmgrad';
const STORE = 'models';

interface StoredModel {
  modelJson: string;
  weights: ArrayBuffer;
  savedAt: string;
}

/** The name after 'indexeddb://', checked. */
export function indexedDbName(path: string): string {
  const name = path.slice(INDEXEDDB_SCHEME.length);
  if (name.length === 0 || name.length > 256) {
    throw new SavedModelError(path, `expected a name of 1 to 256 characters after ${INDEXEDDB_SCHEME}, got ${name.length} characters`);
  }
  return name;
}

function openDatabase(where: string): Promise<IDBDatabase> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (factory === undefined) {
    return Promise.reject(new SavedModelError(where, 'IndexedDB is not available here (it exists in browsers and their Workers, not in Node)'));
  }
  return new Promise((resolve, reject) => {
    const request = factory.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new SavedModelError(where, `IndexedDB could not be opened: ${request.error?.message ?? 'unknown error'}`));
    request.onblocked = () => reject(new SavedModelError(where, 'IndexedDB is blocked by another tab holding an older version of the database open'));
  });
}

/** Stores the saved form under `path` ('indexeddb://name'), replacing what was there, atomically. */
export async function saveToIndexedDb(path: string, modelJsonText: string, weights: Uint8Array): Promise<void> {
  const name = indexedDbName(path);
  const database = await openDatabase(path);
  try {
    const value: StoredModel = {
      modelJson: modelJsonText,
      weights: weights.slice().buffer, // a copy of exactly these bytes
      savedAt: new Date().toISOString(),
    };
    await new Promise<void>((resolve, reject) => {
      const transaction = database.transaction(STORE, 'readwrite');
      transaction.objectStore(STORE).put(value, name);
      // Resolve on complete, not on the put's success: only then is the write committed.
      transaction.oncomplete = () => resolve();
      const fail = () => reject(new SavedModelError(path, `could not be saved: ${transaction.error?.message ?? 'the transaction was aborted'}; the model saved before under this name (if any) is unchanged`));
      transaction.onerror = fail;
      transaction.onabort = fail;
    });
  } finally {
    database.close();
  }
}

/** Reads the saved form stored under `path` ('indexeddb://name'). */
export async function loadFromIndexedDb(path: string): Promise<SavedFiles> {
  const name = indexedDbName(path);
  const database = await openDatabase(path);
  try {
    const value = await new Promise<unknown>((resolve, reject) => {
      const request = database.transaction(STORE, 'readonly').objectStore(STORE).get(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(new SavedModelError(path, `cannot be read: ${request.error?.message ?? 'unknown error'}`));
    });
    if (value === undefined) throw new SavedModelError(path, `not found: no model was saved in IndexedDB under the name ${JSON.stringify(name)}`);
    const stored = value as Partial<StoredModel>;
    if (typeof stored.modelJson !== 'string' || !(stored.weights instanceof ArrayBuffer)) {
      throw new SavedModelError(path, 'holds something that is not a model saved by wasmgrad');
    }
    return { modelJsonText: stored.modelJson, weights: new Uint8Array(stored.weights), names: { modelJson: `${path}/model.json`, weights: `${path}/weights.bin` } };
  } finally {
    database.close();
  }
}

// ---- downloads ---------------------------------------------------------------------------------

/**
 * The two file names for 'downloads://name': name.json and name.weights.bin (TensorFlow.js'
 * convention), or model.json and weights.bin for 'downloads://' or 'downloads://model'.
 */
export function downloadNames(path: string): { modelJson: string; weights: string } {
  const name = path.slice(DOWNLOADS_SCHEME.length);
  if (/[\\/:*?"<>|]/.test(name)) throw new SavedModelError(path, `expected a file name after ${DOWNLOADS_SCHEME}, without / \\ : * ? " < > |`);
  return name === '' || name === 'model' ? { modelJson: 'model.json', weights: 'weights.bin' } : { modelJson: `${name}.json`, weights: `${name}.weights.bin` };
}

/** Hands the two files to the browser as downloads (a page's main thread only: it needs a document). */
export async function downloadFiles(path: string, modelJsonText: string, weights: Uint8Array): Promise<void> {
  const names = downloadNames(path);
  const doc = (globalThis as { document?: Document }).document;
  if (doc === undefined) {
    throw new SavedModelError(path, 'downloads need a page (a document); in a Worker, post model.toArtifacts() to the page and save it there');
  }
  const files: [string, Blob][] = [
    [names.modelJson, new Blob([modelJsonText], { type: 'application/json' })],
    [names.weights, new Blob([weights.slice()], { type: 'application/octet-stream' })],
  ];
  for (const [name, blob] of files) {
    const url = URL.createObjectURL(blob);
    const link = doc.createElement('a');
    link.href = url;
    link.download = name;
    link.style.display = 'none';
    doc.body.append(link);
    link.click();
    link.remove();
    // The download has started from the URL by now, but some browsers read it later: keep it a while.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

// ---- files a user picked -----------------------------------------------------------------------

/** True for a FileList or an array of File: what an <input type="file" multiple> gives. */
export function isFileSelection(value: unknown): value is ArrayLike<File> {
  if (typeof File !== 'function' || value === null || typeof value !== 'object') return false;
  const list = value as ArrayLike<unknown>;
  return typeof list.length === 'number' && list.length > 0 && Array.from(list).every((file) => file instanceof File);
}

/**
 * Reads a saved model from the files a user picked: one .json (model.json, at most
 * `maxModelJsonBytes`, checked before reading) and one .bin (weights).
 */
export async function readPickedFiles(files: ArrayLike<File>, maxModelJsonBytes: number): Promise<SavedFiles> {
  const all = Array.from(files);
  const names = all.map((file) => file.name).join(', ');
  const json = all.filter((file) => file.name.endsWith('.json'));
  const bin = all.filter((file) => file.name.endsWith('.bin'));
  if (json.length !== 1 || bin.length !== 1) {
    throw new SavedModelError(names || '(no files)', 'expected exactly two files, a model .json and its weights .bin (as model.save() writes them)');
  }
  if (json[0]!.size > maxModelJsonBytes) {
    throw new SavedModelError(json[0]!.name, `has ${json[0]!.size} bytes, more than the ${maxModelJsonBytes} a model.json may have; is it a saved model?`);
  }
  const [modelJsonText, weights] = await Promise.all([json[0]!.text(), bin[0]!.arrayBuffer()]);
  return { modelJsonText, weights: new Uint8Array(weights), names: { modelJson: json[0]!.name, weights: bin[0]!.name } };
}

// ---- URLs --------------------------------------------------------------------------------------

/** True for a path that names a URL: http(s):, blob:, or, where there is no file system (a page), any path. */
export function isUrl(path: string): boolean {
  if (/^(https?:|blob:)/i.test(path)) return true;
  const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
  return !isNode && typeof fetch === 'function';
}

/**
 * The URLs of the two files. `url` names model.json itself (any .json) or its folder: the weights
 * are weights.bin beside model.json, or name.weights.bin beside name.json (downloadNames' rule).
 */
export function savedModelUrls(url: string): { modelJson: string; weights: string } {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let jsonUrl: URL;
  try {
    jsonUrl = new URL(url, base);
  } catch {
    throw new SavedModelError(url, 'is not a URL (and a page has no file system to read a path from)');
  }
  if (!jsonUrl.pathname.endsWith('.json')) jsonUrl = new URL(jsonUrl.pathname.endsWith('/') ? 'model.json' : `${jsonUrl.pathname.split('/').pop()}/model.json`, jsonUrl);
  const file = jsonUrl.pathname.split('/').pop()!;
  const weightsFile = file === 'model.json' ? 'weights.bin' : `${file.slice(0, -'.json'.length)}.weights.bin`;
  return { modelJson: jsonUrl.href, weights: new URL(weightsFile, jsonUrl).href };
}

async function fetchBytes(url: string, maxBytes = Infinity): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new SavedModelError(url, `could not be fetched: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) throw new SavedModelError(url, `could not be fetched: HTTP ${response.status} ${response.statusText}`.trimEnd());
  const declared = Number(response.headers.get('Content-Length') ?? NaN);
  if (declared > maxBytes) throw new SavedModelError(url, `has ${declared} bytes, more than the ${maxBytes} it may have; is it a saved model?`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > maxBytes) throw new SavedModelError(url, `has ${bytes.length} bytes, more than the ${maxBytes} it may have; is it a saved model?`);
  return bytes;
}

/** Fetches model.json, then its weights: a missing model.json is reported before the weights are asked for. */
export async function fetchSavedFiles(url: string, maxModelJsonBytes: number): Promise<SavedFiles> {
  const names = savedModelUrls(url);
  const modelJsonText = new TextDecoder().decode(await fetchBytes(names.modelJson, maxModelJsonBytes));
  return { modelJsonText, weights: await fetchBytes(names.weights), names };
}
