// tests/kernels/windows.ts — for the convnet kernel tests: the geometry of a window over an NHWC
// input by TensorFlow's 'valid' / 'same' rule (written out here, independently of
// engine/ops/window.ts), and a runner of the reference kernels. Not a test file.

import { referenceKernels, type Kernels, type WindowGeometry } from '../../kernels/index.js';
import { runPair } from './arrays.js';

/** Runs `call` with the reference kernels on copies of `inputs` and returns every array afterwards. */
export function reference(inputs: Float32Array[], call: (k: Kernels, ptrs: number[]) => void): Float32Array[] {
  return runPair(inputs, [0], (ptrs) => call(referenceKernels, ptrs), () => {}, 'reference').expected;
}

/** Geometry of a window over an NHWC input, with TensorFlow's 'valid' / 'same' rule. */
export function geometry(batch: number, height: number, width: number, channels: number, window: [number, number], stride: [number, number], padding: 'valid' | 'same'): WindowGeometry {
  const side = (size: number, k: number, s: number) => {
    if (padding === 'valid') return { out: Math.floor((size - k) / s) + 1, before: 0 };
    const out = Math.ceil(size / s);
    return { out, before: Math.floor(Math.max((out - 1) * s + k - size, 0) / 2) };
  };
  const h = side(height, window[0], stride[0]), w = side(width, window[1], stride[1]);
  return {
    batch, height, width, channels, windowH: window[0], windowW: window[1], strideH: stride[0], strideW: stride[1],
    padTop: h.before, padLeft: w.before, outH: h.out, outW: w.out,
  };
}

