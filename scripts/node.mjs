// scripts/node.mjs — starts a Node program with the V8 flags this Node needs for wasmgrad's
// relaxed-SIMD (FMA) build, and no others. It is for the package's own scripts (examples,
// benchmarks, the soak run); the library itself never changes V8 flags and picks its build with
// WebAssembly.validate.
//
//   node scripts/node.mjs [node options...] program.js [arguments...]
//
// Why a launcher: Node 20 validates relaxed SIMD only when started with
// --experimental-wasm-relaxed-simd, and Node 22 and 24 have it on by default and refuse that flag
// ("bad option"). So the flag is passed exactly when this Node does not validate relaxed SIMD yet
// and accepts the flag. Exit status and signals of the program are passed through.

import { spawnSync } from 'node:child_process';
import { relaxedSimdFlags } from './relaxed-simd.mjs';

const args = process.argv.slice(2);
if (args.length === 0) {
  console.error('usage: node scripts/node.mjs [node options...] program.js [arguments...]');
  process.exit(2);
}

const run = spawnSync(process.execPath, [...relaxedSimdFlags(), ...args], { stdio: 'inherit' });
if (run.error) throw run.error;
// A program killed by a signal (Ctrl-C) ends this launcher the same way, so shells see the signal.
if (run.signal) process.kill(process.pid, run.signal);
process.exit(run.status ?? 1);
