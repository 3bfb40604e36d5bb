// tests/engine/gradcheck.ts — a central-difference gradient checker for engine ops: compares the
// gradient backward() computes with one measured by nudging each input number up and down.
//
// The scalar that both sides differentiate is L(inputs) = Σ_j out_j · R_j, where R is a seeded
// random upstream gradient of out's shape (normal samples: never all ones, which would hide a
// backward that transposes or permutes its gradient). The analytic side is out.backward(R); the
// numeric side is (L(x + h) - L(x - h)) / (the step actually taken), L summed in float64.
//
// Step and tolerance, for float32 (ε = 2^-24 ≈ 6e-8, the unit roundoff):
//   - Truncation: the central difference errs by h²/6 · L'''. With h = 1e-2 · max(1, |x|) that is
//     ~2e-5 · L''' (relative to x's scale), well under 1e-3 of the gradient for the inputs the tests
//     use (log, sqrt and 1/x only on inputs >= 0.5 in magnitude; kinks kept further than h away).
//   - Rounding: every out_j carries a float32 rounding error of a few ε·|out_j|, and a nudge can
//     change it unpredictably, so L(x ± h) is only known to about ε · S with S = Σ_j |out_j · R_j|.
//     Dividing by the 2h step, the numeric derivative is only good to ~ε · S / h (~6e-6 · S here).
//     h ~ 1e-2 balances the two (the optimum for float32 is near ε^(1/3) ≈ 4e-3 times x's scale).
//   - So an element passes when |analytic - numeric| <= atol + rtol · max(|analytic|, |numeric|),
//     with atol = 64 · ε · S / h (64 = room for a few ops' and a short dot product's roundings)
//     and rtol = 2e-3 (truncation, and the analytic side's own float32 rounding). A wrong sign is
//     off by 200%, a transposed gradient by O(100%): both fail by orders of magnitude.
// The inputs are changed in place during the check and restored afterwards.

import { noGrad, Random, scoped, tensor, type Tensor } from '../../engine/index.js';

/** float32's unit roundoff, 2^-24. */
const FLOAT32_ROUNDOFF = 2 ** -24;

export interface GradcheckOptions {
  /** Seed of the random upstream gradient R. */
  seed?: number;
  /** h = relativeStep · max(1, |x|). Default 1e-2 (see the comment at the top). */
  relativeStep?: number;
  /** Relative tolerance. Default 2e-3. */
  rtol?: number;
  /** Multiplier of the rounding-noise floor ε · S / h. Default 64. */
  noiseFactor?: number;
}

export interface GradcheckWorst {
  /** Which input (position in the inputs array) and which element (flat, row-major). */
  input: number;
  index: number;
  analytic: number;
  numeric: number;
  /** |analytic - numeric| / max(|analytic|, |numeric|), or the absolute error when both are 0. */
  relativeError: number;
  /** |analytic - numeric| / (atol + rtol · max(|analytic|, |numeric|)): above 1 fails. */
  ratio: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** The element with the largest error relative to its allowance. */
  worst: GradcheckWorst;
  /** The largest relative error over all elements (not necessarily the worst one's). */
  maxRelativeError: number;
  /** The absolute noise floor used: 64 · ε · S / h at h for |x| <= 1. */
  atol: number;
  /** How many gradient elements were compared. */
  checked: number;
}

/** Σ_j out_j · R_j in float64. */
function weightedSum(out: Tensor, upstream: Float64Array): { value: number; magnitude: number } {
  const d = out.data;
  if (d.length !== upstream.length) {
    throw new Error(`gradcheck: f returned ${d.length} elements on one evaluation and ${upstream.length} on another`);
  }
  let value = 0, magnitude = 0;
  for (let j = 0; j < d.length; j++) {
    value += d[j] * upstream[j];
    magnitude += Math.abs(d[j] * upstream[j]);
  }
  return { value, magnitude };
}

/**
 * Checks the gradients of f with respect to every tensor in `inputs` (each is marked
 * requiresGrad). f must be deterministic: build seeded generators (dropout masks) inside it.
 */
export function gradcheck(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const { seed = 1234, relativeStep = 1e-2, rtol = 2e-3, noiseFactor = 64 } = options;
  for (const x of inputs) {
    x.requiresGrad = true;
    x.grad = null;
  }

  // Analytic: one forward pass with the graph, then backward(R). Copy out what we need before the
  // scope reclaims the intermediates.
  const random = new Random(seed);
  let upstream = new Float64Array(0);
  let magnitude = 0;
  const analytic = scoped(() => {
    const out = f(...inputs);
    upstream = Float64Array.from({ length: out.size }, () => random.normal());
    magnitude = weightedSum(out, upstream).magnitude;
    out.backward(tensor(Float32Array.from(upstream), out.shape));
    return inputs.map((x) => (x.grad === null ? new Float64Array(x.size) : Float64Array.from(x.grad.data)));
  });

  const evaluate = (): number => noGrad(() => scoped(() => weightedSum(f(...inputs), upstream).value));
  const atolAt = (h: number): number => (noiseFactor * FLOAT32_ROUNDOFF * magnitude) / h;

  let worst: GradcheckWorst | null = null;
  let maxRelativeError = 0;
  let checked = 0;
  // "Is a worse than b", where NaN (a broken gradient on either side) is worse than anything.
  const worse = (a: number, b: number): boolean => !Number.isNaN(b) && !(a <= b);
  for (let input = 0; input < inputs.length; input++) {
    const x = inputs[input];
    for (let index = 0; index < x.size; index++) {
      const original = x.data[index];
      const h = relativeStep * Math.max(1, Math.abs(original));
      const up = Math.fround(original + h);
      const down = Math.fround(original - h);
      x.data[index] = up;
      const above = evaluate();
      x.data[index] = down;
      const below = evaluate();
      x.data[index] = original;
      const numeric = (above - below) / (up - down); // the step actually taken, after rounding

      const a = analytic[input][index];
      const error = Math.abs(a - numeric);
      const scale = Math.max(Math.abs(a), Math.abs(numeric));
      const relativeError = scale > 0 ? error / scale : error;
      const ratio = error / (atolAt(h) + rtol * scale);
      if (worst === null || worse(ratio, worst.ratio)) worst = { input, index, analytic: a, numeric, relativeError, ratio };
      if (worse(relativeError, maxRelativeError)) maxRelativeError = relativeError;
      checked++;
    }
  }
  if (worst === null) throw new Error('gradcheck: no input elements to check');
  const w: GradcheckWorst = worst;
  return { ok: w.ratio <= 1, worst: w, maxRelativeError, atol: atolAt(relativeStep), checked };
}

/** A one-line account of a result, for failure messages. */
export function describeResult(result: GradcheckResult): string {
  const w = result.worst;
  return (
    `worst at input ${w.input}, index ${w.index}: analytic ${w.analytic}, numeric ${w.numeric}, ` +
    `relative error ${w.relativeError.toExponential(2)}, ${w.ratio.toFixed(2)}x its allowance ` +
    `(atol ${result.atol.toExponential(2)}); max relative error ${result.maxRelativeError.toExponential(2)} ` +
    `over ${result.checked} elements`
  );
}

/** Throws with the worst element named unless every gradient element passes. */
export function expectGradientsMatch(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const result = gradcheck(f, inputs, options);
  if (!result.ok) throw new Error(`gradient check failed: ${describeResult(result)}`);
  return result;
}
