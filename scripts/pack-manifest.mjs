// scripts/pack-manifest.mjs — keeps `prepare` out of the published package.json.
//
// `prepare` is what builds the WebAssembly kernels when someone runs `npm install` in a clone; in a
// consumer's project it would only make npm warn about install scripts (it never runs there). So
// `prepack` calls `strip` (package.json without it, the original kept beside it) and `postpack`
// calls `restore`. A strip after an unfinished pack restores first, so the original is never lost.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(root, 'package.json');
const backup = join(root, '.package.json.before-pack');

function restore() {
  if (existsSync(backup)) renameSync(backup, manifest);
}

const command = process.argv[2];
if (command === 'strip') {
  restore();
  const text = readFileSync(manifest, 'utf8');
  const json = JSON.parse(text);
  writeFileSync(backup, text);
  delete json.scripts.prepare;
  writeFileSync(manifest, JSON.stringify(json, null, 2) + '\n');
} else if (command === 'restore') {
  restore();
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore');
  process.exit(2);
}
