// nn/saving/folder.ts — the file-system side of a saved model (Node): putting model.json and
// weights.bin into a folder so that a crash at any moment leaves a loadable model there, and
// finding that model again. What the two files contain is save.ts' and load.ts' business.
//
// The rules (README, "Saving"):
//   - save(path) writes only path/model.json, path/weights.bin and its own hidden working folders
//     path/.saving-*; it never removes or replaces anything else. A folder holding other entries,
//     or a model.json / weights.bin that is a folder, a link or anything but a regular file, is
//     refused before anything is written.
//   - A `path` that is a symbolic link to a folder is followed: the model goes inside the folder it
//     points to, and the link stays a link. A link to anything else is refused.
//   - The steps: write both files into path/.saving-X (flushed to disk), move weights.bin into
//     place, then model.json, then remove the empty working folder and earlier saves' leftovers.
//     Each move is one atomic rename. At every step some pair of (model.json, weights.bin) among
//     path and path/.saving-* agrees with itself (the manifest's checksums say which), so
//     modelFolderCandidates() lists those pairs and load.ts takes the first that verifies.

import { readRegularFile } from '../../files/read.js';
import { nodeBuiltin } from '../../runtime/node-builtins.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
const WORKING_PREFIX = '.saving-';

/** A saved-model folder problem: the path and what is wrong with it (save.ts makes it a SavedModelError). */
export class SavedModelFolderError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`wasmgrad: ${path}: ${problem}`);
    this.name = 'SavedModelFolderError';
  }
}

// For the crash test only (tests/nn/saving/crash.test.ts): called before every step of a save,
// with the step's number and name, so a test can kill the process at each one in turn.
let stepHook: ((step: number, name: string) => void) | null = null;
export function setSaveStepHook(hook: ((step: number, name: string) => void) | null): void {
  stepHook = hook;
}

/** The steps of writeModelFolder, in order (the crash test walks them all). */
export const SAVE_STEPS = [
  'create the folder', 'create the working folder', 'write weights.bin', 'write model.json',
  'move weights.bin into place', 'move model.json into place', 'remove the working folder',
  'remove earlier leftovers', 'flush the folder',
] as const;

type Fs = typeof import('node:fs/promises');

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

/** Our working folders inside `folder`: names only, newest first (the name starts with the time). */
async function workingFolders(fs: Fs, folder: string): Promise<string[]> {
  const entries = await fs.readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && e.name.startsWith(WORKING_PREFIX))
    .map((e) => e.name)
    .sort()
    .reverse();
}

/**
 * Checks `target` may receive a model (see the rules above) and returns the real folder to write
 * into (a followed link resolved), or null when nothing is there yet.
 */
async function examine(fs: Fs, target: string): Promise<string | null> {
  let stat;
  try {
    stat = await fs.lstat(target);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw new SavedModelFolderError(target, `cannot be examined before saving: ${(error as Error).message}`);
  }
  let folder = target;
  if (stat.isSymbolicLink()) {
    const real = await fs.realpath(target).catch(() => null);
    const pointed = real === null ? null : await fs.stat(real);
    if (pointed === null || !pointed.isDirectory()) {
      throw new SavedModelFolderError(target, 'is a symbolic link to something that is not a folder; refusing to replace it (a link to a folder is followed)');
    }
    folder = real!;
  } else if (!stat.isDirectory()) {
    throw new SavedModelFolderError(target, 'exists and is not a folder; refusing to replace it with a saved model');
  }
  const entries = await fs.readdir(folder, { withFileTypes: true });
  const foreign = entries.filter((e) => e.name !== MODEL_JSON && e.name !== WEIGHTS_BIN && !(e.isDirectory() && e.name.startsWith(WORKING_PREFIX)));
  if (foreign.length > 0) {
    const names = foreign.map((e) => e.name);
    throw new SavedModelFolderError(target, `is a folder holding other files (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}); refusing to replace it (save() writes only into a new or empty folder, or one holding a saved model)`);
  }
  for (const e of entries) {
    if ((e.name === MODEL_JSON || e.name === WEIGHTS_BIN) && !e.isFile()) {
      const kind = e.isDirectory() ? 'a folder' : e.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
      throw new SavedModelFolderError(target, `holds ${e.name} that is ${kind}; refusing to replace it (save() replaces only the regular files it wrote)`);
    }
  }
  return folder;
}

async function writeFlushed(fs: Fs, file: string, data: Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'wx'); // wx: never write through something already there
  try {
    await handle.writeFile(data);
    await handle.sync(); // on disk before a rename makes it visible
  } finally {
    await handle.close();
  }
}

async function flushFolder(fs: Fs, folder: string): Promise<void> {
  // Makes renames durable; not every platform can open a folder (Windows), so best effort.
  try {
    const handle = await fs.open(folder, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    /* the files themselves are flushed already */
  }
}

/** Removes a working folder if it holds nothing but our two files (anything else stays). */
async function removeWorkingFolder(fs: Fs, dir: string): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => null);
  if (entries === null || entries.some((e) => !e.isFile() || (e.name !== MODEL_JSON && e.name !== WEIGHTS_BIN))) return;
  for (const e of entries) await fs.unlink(`${dir}/${e.name}`);
  await fs.rmdir(dir).catch(() => undefined);
}

/** Writes model.json and weights.bin into `path` by the steps above. */
export async function writeModelFolder(path: string, files: { modelJson: Uint8Array; weights: Uint8Array }): Promise<void> {
  const fs = await nodeBuiltin('node:fs/promises', 'saving or loading a model in a folder');
  const { join, resolve } = await nodeBuiltin('node:path', 'saving or loading a model in a folder');
  const target = resolve(path);
  let folder = await examine(fs, target);
  let step = 0;
  const next = () => stepHook?.(step, SAVE_STEPS[step++]);
  let created = false, moved = false;
  let dir = '';
  // Math.random, not the seeded generator: saving must not change the random stream training goes on with.
  const working = `${WORKING_PREFIX}${Date.now().toString(36).padStart(10, '0')}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    next();
    if (folder === null) {
      await fs.mkdir(target, { recursive: true });
      folder = target;
      created = true;
    }
    dir = join(folder, working);
    next();
    await fs.mkdir(dir);
    next();
    await writeFlushed(fs, join(dir, WEIGHTS_BIN), files.weights);
    next();
    await writeFlushed(fs, join(dir, MODEL_JSON), files.modelJson);
    await flushFolder(fs, dir);
    next();
    await fs.rename(join(dir, WEIGHTS_BIN), join(folder, WEIGHTS_BIN));
    moved = true;
    next();
    await fs.rename(join(dir, MODEL_JSON), join(folder, MODEL_JSON));
    next();
    await fs.rmdir(dir);
  } catch (error) {
    if (error instanceof SavedModelFolderError) throw error;
    if (moved) {
      // The new weights.bin is in place and its model.json still in the working folder: that pair
      // is the model now (loadModel finds it), so the working folder stays.
      throw new SavedModelFolderError(target, `could not be saved completely: ${(error as Error).message}; loadModel() still finds the new model (its model.json is in ${dir})`);
    }
    if (dir !== '') await removeWorkingFolder(fs, dir);
    if (created) await fs.rmdir(target).catch(() => undefined); // only if still empty
    throw new SavedModelFolderError(target, `could not be saved: ${(error as Error).message}; ${created ? 'nothing was written' : 'the previous model there is unchanged'}`);
  }
  next();
  for (const name of await workingFolders(fs, folder)) await removeWorkingFolder(fs, join(folder, name));
  next();
  await flushFolder(fs, folder);
}

/** A pair of files that may hold a saved model, best first. */
export interface Candidate {
  modelJson: string;
  weights: string;
  /** 'saved': the folder's own pair; 'recovered': a pair completed from an interrupted save. */
  kind: 'saved' | 'recovered';
}

/**
 * The (model.json, weights.bin) pairs that may hold the model saved at `path`: the folder's own
 * pair first, then pairs with an interrupted save's working folder (newest first). Which one is
 * intact only the checksums in model.json can tell: the caller tries them in order.
 */
export async function modelFolderCandidates(path: string): Promise<Candidate[]> {
  const fs = await nodeBuiltin('node:fs/promises', 'saving or loading a model in a folder');
  const { join, resolve } = await nodeBuiltin('node:path', 'saving or loading a model in a folder');
  const folder = resolve(path);
  const own = { modelJson: join(folder, MODEL_JSON), weights: join(folder, WEIGHTS_BIN), kind: 'saved' as const };
  const pairs: Candidate[] = [own];
  for (const name of await workingFolders(fs, folder)) {
    const dir = join(folder, name);
    const json = join(dir, MODEL_JSON), weights = join(dir, WEIGHTS_BIN);
    pairs.push({ modelJson: json, weights, kind: 'recovered' });
    pairs.push({ modelJson: json, weights: own.weights, kind: 'recovered' });
    pairs.push({ modelJson: own.modelJson, weights, kind: 'recovered' });
  }
  return pairs;
}

/** Reads a candidate's model.json (at most `maxBytes`): the first file to check. */
export function readModelJson(file: string, maxBytes: number): Promise<Uint8Array> {
  return readRegularFile(file, { maxBytes, what: MODEL_JSON });
}

/** Reads a candidate's weights.bin, refused unread when larger than its model.json declares. */
export function readWeights(file: string, byteLength: number): Promise<Uint8Array> {
  return readRegularFile(file, { maxBytes: byteLength, what: WEIGHTS_BIN });
}

/**
 * Folders an earlier wasmgrad's save() left beside `path` when it was killed (it swapped whole
 * folders: `.<name>.old-*` held the previous model, `.<name>.saving-*` the new one). Named in
 * loadModel's error, so a model there is not lost from sight.
 */
export async function olderLeftovers(path: string): Promise<string[]> {
  const fs = await nodeBuiltin('node:fs/promises', 'saving or loading a model in a folder');
  const { basename, dirname, join, resolve } = await nodeBuiltin('node:path', 'saving or loading a model in a folder');
  const target = resolve(path);
  const prefix = `.${basename(target)}.`;
  const entries = await fs.readdir(dirname(target), { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && e.name.startsWith(prefix) && /^(old|saving)-/.test(e.name.slice(prefix.length)))
    .map((e) => join(dirname(target), e.name));
}
