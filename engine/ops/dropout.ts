// engine/ops/dropout.ts — inverted dropout.
//
// While training, each element is kept with probability 1 - rate and then scaled by 1/(1 - rate),
// so the expected value of every output equals its input; at inference the op is the identity and
// no scaling is needed (that is the point of scaling at training time, "inverted" dropout).
// The loops live in kernels/ (dropoutForward, mulInto): the mask of element i is a hash of
// (seed, i), and each call draws one fresh 32-bit seed from its generator, so setSeed (or a
// layer's own seed) still makes every mask reproducible.

import { dropoutForward, mulInto } from '../../kernels/index.js';
import { globalRandom, type Random } from '../random.js';
import { empty, record, type Tensor } from '../tensor.js';

export interface DropoutOptions {
  /** Drop only when training; otherwise return x itself. Default true. */
  training?: boolean;
  /** The generator for the mask's seed (seeded masks); default the global one (setSeed). */
  random?: Random;
}

/** y = x · mask / (1 - rate), mask[i] ~ Bernoulli(1 - rate). Backward: dx += dout · mask / (1 - rate). */
export function dropout(x: Tensor, rate: number, options: DropoutOptions = {}): Tensor {
  if (!(rate >= 0 && rate < 1)) throw new Error(`wasmgrad: dropout expected a rate in [0, 1), got ${rate}`);
  const { training = true, random = globalRandom } = options;
  if (!training || rate === 0) return x;
  // The mask holds each element's multiplier, 0 or 1/(1-rate), so backward is one multiply.
  const mask = empty(x.shape);
  const out = empty(x.shape);
  dropoutForward(x.size, x.ptr, out.ptr, mask.ptr, random.nextUint32(), rate);
  return record(out, 'dropout', [x], (dout) => {
    mulInto(x.size, x.gradBuffer().ptr, dout.ptr, mask.ptr);
  });
}
