// formats/tfjs-files.ts — reading TensorFlow.js' Layers format from disk (Node): model.json and the
// weight files its manifest lists, as TF.js' model.save('file://...') and tensorflowjs_converter
// write them. Writing goes through the saving room's atomic folder writer; this file only reads.
//
// Bounded reads, by files/read.ts' rules: only regular files are read (a FIFO or a device would
// hang or never end), model.json has a size limit, every weight path must stay inside the model's
// folder, and the weight files' sizes are checked against the manifest before a byte of them is read.

import { readRegularFile } from '../files/read.js';
import { nodeBuiltin } from '../runtime/node-builtins.js';
import { planTfjs, readTfjsWeights, TfjsFormatError, type TfjsPlan, type WeightValues } from './tfjs.js';

/** What needs Node here, for the error outside it. */
const FEATURE = "reading TensorFlow.js' format from files";

/** model.json holds a topology and a manifest, never weights (the limit wasmgrad's own loader sets). */
export const MAX_MODEL_JSON_BYTES = 16 * 2 ** 20;

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^wasmgrad: /, '');
}

/** Where model.json is: `path` itself when it names a .json file, else `path`/model.json. */
async function modelJsonPath(path: string): Promise<string> {
  const fs = await nodeBuiltin('node:fs/promises', FEATURE);
  const { join, resolve } = await nodeBuiltin('node:path', FEATURE);
  const full = resolve(path);
  if (full.endsWith('.json')) return full;
  const stat = await fs.stat(full).catch(() => null);
  return stat !== null && stat.isFile() ? full : join(full, 'model.json');
}

/** A manifest path, resolved inside the model's folder; absolute paths and '..' are refused. */
async function weightPath(folder: string, path: string, modelJson: string): Promise<string> {
  const { isAbsolute, relative, resolve, sep } = await nodeBuiltin('node:path', FEATURE);
  const decoded = path.split('/').map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
  const full = resolve(folder, ...decoded);
  const inside = relative(folder, full);
  if (path.includes('\0') || isAbsolute(path) || /^[a-z]+:/i.test(path) || inside === '' || inside.startsWith('..') || isAbsolute(inside) || inside.split(sep).includes('..')) {
    throw new TfjsFormatError(modelJson, `lists the weight file ${JSON.stringify(path)}, which is not a file inside the model's folder`);
  }
  return full;
}

/** Reads a Layers-format model from a folder or a path to its model.json: the plan and the weights. */
export async function readTfjsModel(path: string, preread?: { file: string; value: unknown }): Promise<{ plan: TfjsPlan; weights: WeightValues[]; file: string }> {
  const fs = await nodeBuiltin('node:fs/promises', FEATURE);
  const { dirname } = await nodeBuiltin('node:path', FEATURE);
  const file = preread?.file ?? (await modelJsonPath(path));
  let value = preread?.value;
  if (preread === undefined) {
    const text = new TextDecoder().decode(await readRegularFile(file, { maxBytes: MAX_MODEL_JSON_BYTES, what: 'model.json' }));
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new TfjsFormatError(file, `is not valid JSON: ${reason(error)}`);
    }
  }
  const plan = planTfjs(value, file);
  const folder = dirname(file);

  // Every file's size against the manifest before reading any of them.
  const groups = await Promise.all(plan.groups.map(async (group) => {
    const files = await Promise.all(group.paths.map((p) => weightPath(folder, p, file)));
    const sizes = await Promise.all(files.map(async (f) => {
      const stat = await fs.stat(f).catch((error) => {
        throw new TfjsFormatError(f, (error as { code?: string }).code === 'ENOENT' ? `not found (${file} lists it)` : `cannot be read: ${reason(error)}`);
      });
      if (!stat.isFile()) throw new TfjsFormatError(f, 'is not a regular file');
      return stat.size;
    }));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== group.byteLength) {
      throw new TfjsFormatError(
        files.length === 1 ? files[0] : files.join(', '),
        `${files.length === 1 ? 'holds' : 'hold'} ${total} bytes, but the manifest in ${file} says its weights take ${group.byteLength}`,
      );
    }
    return { files, sizes, byteLength: total };
  }));

  const groupBytes: Uint8Array[] = [];
  for (const group of groups) {
    const bytes = new Uint8Array(group.byteLength);
    let at = 0;
    for (let i = 0; i < group.files.length; i++) {
      bytes.set(await readRegularFile(group.files[i], { maxBytes: group.sizes[i], exactBytes: group.sizes[i], what: 'the weight file' }), at);
      at += group.sizes[i];
    }
    groupBytes.push(bytes);
  }
  return { plan, weights: readTfjsWeights(plan, groupBytes, file), file };
}
