// scripts/relaxed-simd.mjs — which Node flags turn on WebAssembly relaxed SIMD for a child
// process of this Node: [] where it is already on (Node >= 22, which refuses the old flag),
// ['--experimental-wasm-relaxed-simd'] where it is behind that flag (Node 20), [] where neither
// works (the library then uses its plain simd128 build). Used by scripts/node.mjs and
// vitest.config.ts.

import { spawnSync } from 'node:child_process';

const FLAG = '--experimental-wasm-relaxed-simd';

// The smallest module that uses a relaxed-SIMD instruction:
//   (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))
const zeroVector = [0xfd, 0x0c, ...new Array(16).fill(0)];
const relaxedModule = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code section: one body of 59 bytes, no locals
  ...zeroVector, ...zeroVector, ...zeroVector,
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0x0b, // end
]);

/** True when this process validates relaxed SIMD as it was started. */
export function relaxedSimdOn() {
  return WebAssembly.validate(relaxedModule);
}

let cached;
/** The flags a child of this Node needs for relaxed SIMD (see the header). */
export function relaxedSimdFlags() {
  if (cached) return cached;
  if (relaxedSimdOn()) return (cached = []);
  // Ask this very Node whether it knows the flag; an unknown option exits with status 9.
  const probe = spawnSync(process.execPath, [FLAG, '-e', '0'], { stdio: 'ignore' });
  return (cached = probe.status === 0 ? [FLAG] : []);
}
