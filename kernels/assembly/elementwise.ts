// kernels/assembly/elementwise.ts — the element-wise loops of a training step in WebAssembly SIMD128:
// the optimizer updates (Adam, SGD, RMSprop), dropout with a counter-based mask, the ReLU and
// dropout backward multiplies, the bias gradient's column sums, fill, and the search for NaN and
// ±Infinity that guards every update. Not the GEMM (gemm.ts).
//
// Contract, for every kernel here (kernels/reference.ts is the plain TypeScript twin and the test
// oracle; kernels/types.ts states the same contract to the engine; kernels/wasm.ts wraps these):
//
//   - Pointers are byte offsets into the one imported (shared) memory, 4-byte aligned; 16-byte
//     alignment is not needed (every v128 load and store is an unaligned one, free on x64).
//   - Counts are in floats. Any n >= 0: the body goes 4 floats (one f32x4) at a time and a scalar
//     tail does the last n % 4 with the very same f32 arithmetic, so an element's result never
//     depends on where it sits.
//   - Scalar parameters (learning rates, decay rates) arrive from JavaScript as f64 and are rounded
//     to f32 once, after any `1 - beta` is formed in f64.
//   - An output may be the very same array as an input (element i is read before it is written);
//     arrays must not otherwise overlap.
//   - Arithmetic is plain f32 mul and add in both builds (no relaxed FMA): these loops are bound by
//     memory traffic, not by arithmetic, and the two builds then give identical bits.

// ---- optimizer updates ------------------------------------------------------------------------

/**
 * Adam in Keras' form, one parameter of n floats, in place (engine/optimizers.ts has the formula's story):
 *
 *   m = beta1·m + (1 - beta1)·g
 *   v = beta2·v + (1 - beta2)·g·g
 *   w = w - lrT·m / (sqrt(v) + epsilon)        lrT = lr·sqrt(1 - beta2^t) / (1 - beta1^t), from the caller
 *
 * w, m, v: n floats each, read and written; g: n floats, read.
 */
export function adamUpdate(n: i32, w: usize, g: usize, m: usize, v: usize, lrT: f64, beta1: f64, beta2: f64, epsilon: f64): void {
  const b1 = <f32>beta1, oneMinusB1 = <f32>(1 - beta1);
  const b2 = <f32>beta2, oneMinusB2 = <f32>(1 - beta2);
  const lr = <f32>lrT, eps = <f32>epsilon;
  const b1x4 = f32x4.splat(b1), oneMinusB1x4 = f32x4.splat(oneMinusB1);
  const b2x4 = f32x4.splat(b2), oneMinusB2x4 = f32x4.splat(oneMinusB2);
  const lrx4 = f32x4.splat(lr), epsx4 = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const gi = v128.load(g + at);
    const mi = f32x4.add(f32x4.mul(b1x4, v128.load(m + at)), f32x4.mul(oneMinusB1x4, gi));
    const vi = f32x4.add(f32x4.mul(b2x4, v128.load(v + at)), f32x4.mul(f32x4.mul(oneMinusB2x4, gi), gi));
    v128.store(m + at, mi);
    v128.store(v + at, vi);
    const step = f32x4.div(f32x4.mul(lrx4, mi), f32x4.add(f32x4.sqrt(vi), epsx4));
    v128.store(w + at, f32x4.sub(v128.load(w + at), step));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const gi = load<f32>(g + at);
    const mi = b1 * load<f32>(m + at) + oneMinusB1 * gi;
    const vi = b2 * load<f32>(v + at) + oneMinusB2 * gi * gi;
    store<f32>(m + at, mi);
    store<f32>(v + at, vi);
    store<f32>(w + at, load<f32>(w + at) - (lr * mi) / (Mathf.sqrt(vi) + eps));
  }
}

/**
 * SGD in Keras' form, one parameter of n floats, in place:
 *
 *   velocity = 0 (no momentum slot):  w = w - lr·g
 *   otherwise:   velocity = momentum·velocity - lr·g
 *                w = w + velocity                          (nesterov: w = w + momentum·velocity - lr·g)
 *
 * w: n floats, read and written; g: n floats, read; velocity: n floats read and written, or 0.
 */
export function sgdUpdate(n: i32, w: usize, g: usize, velocity: usize, lr: f64, momentum: f64, nesterov: bool): void {
  const rate = <f32>lr, mu = <f32>momentum;
  const ratex4 = f32x4.splat(rate), mux4 = f32x4.splat(mu);
  let i = 0;
  if (velocity == 0) {
    for (; i + 4 <= n; i += 4) {
      const at = <usize>i << 2;
      v128.store(w + at, f32x4.sub(v128.load(w + at), f32x4.mul(ratex4, v128.load(g + at))));
    }
    for (; i < n; i++) {
      const at = <usize>i << 2;
      store<f32>(w + at, load<f32>(w + at) - rate * load<f32>(g + at));
    }
    return;
  }
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const lrG = f32x4.mul(ratex4, v128.load(g + at));
    const vi = f32x4.sub(f32x4.mul(mux4, v128.load(velocity + at)), lrG);
    v128.store(velocity + at, vi);
    const change = nesterov ? f32x4.sub(f32x4.mul(mux4, vi), lrG) : vi;
    v128.store(w + at, f32x4.add(v128.load(w + at), change));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const lrG = rate * load<f32>(g + at);
    const vi = mu * load<f32>(velocity + at) - lrG;
    store<f32>(velocity + at, vi);
    store<f32>(w + at, load<f32>(w + at) + (nesterov ? mu * vi - lrG : vi));
  }
}

/**
 * RMSprop in Keras' form, one parameter of n floats, in place:
 *
 *   ms   = rho·ms + (1 - rho)·g·g
 *   step = lr·g / sqrt(ms + epsilon)
 *   mom = 0 (no momentum slot):  w = w - step
 *   otherwise:                    mom = momentum·mom + step;  w = w - mom
 *
 * w, ms: n floats, read and written; g: n floats, read; mom: n floats read and written, or 0.
 */
export function rmspropUpdate(n: i32, w: usize, g: usize, ms: usize, mom: usize, lr: f64, rho: f64, momentum: f64, epsilon: f64): void {
  const rate = <f32>lr, decay = <f32>rho, oneMinusDecay = <f32>(1 - rho), mu = <f32>momentum, eps = <f32>epsilon;
  const ratex4 = f32x4.splat(rate), decayx4 = f32x4.splat(decay), oneMinusDecayx4 = f32x4.splat(oneMinusDecay);
  const mux4 = f32x4.splat(mu), epsx4 = f32x4.splat(eps);
  const withMomentum = mom != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const gi = v128.load(g + at);
    const msi = f32x4.add(f32x4.mul(decayx4, v128.load(ms + at)), f32x4.mul(f32x4.mul(oneMinusDecayx4, gi), gi));
    v128.store(ms + at, msi);
    let change = f32x4.div(f32x4.mul(ratex4, gi), f32x4.sqrt(f32x4.add(msi, epsx4)));
    if (withMomentum) {
      change = f32x4.add(f32x4.mul(mux4, v128.load(mom + at)), change);
      v128.store(mom + at, change);
    }
    v128.store(w + at, f32x4.sub(v128.load(w + at), change));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const gi = load<f32>(g + at);
    const msi = decay * load<f32>(ms + at) + oneMinusDecay * gi * gi;
    store<f32>(ms + at, msi);
    let change = (rate * gi) / Mathf.sqrt(msi + eps);
    if (withMomentum) {
      change = mu * load<f32>(mom + at) + change;
      store<f32>(mom + at, change);
    }
    store<f32>(w + at, load<f32>(w + at) - change);
  }
}

// ---- dropout --------------------------------------------------------------------------------------

/** 2^32 / golden ratio: consecutive multiples of it are spread evenly over 32 bits (a Weyl sequence). */
const GOLDEN: u32 = 0x9e3779b9;

/**
 * lowbias32 (Chris Wellons' hash prospector): a 32-bit integer hash where flipping any input bit
 * flips each output bit with probability very close to 1/2. Two multiplies, three xor-shifts.
 */
// @ts-ignore: decorator
@inline
function lowbias32(x: u32): u32 {
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return x;
}

/** lowbias32 on four lanes at once: the same bits as the scalar one, lane by lane. */
// @ts-ignore: decorator
@inline
function lowbias32x4(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x7feb352d));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(<i32>0x846ca68b));
  x = v128.xor(x, i32x4.shr_u(x, 16));
  return x;
}

/**
 * Inverted dropout's forward pass with a counter-based random mask:
 *
 *   hash[i] = lowbias32(seed ^ (i·0x9e3779b9 mod 2^32))        a uniform 32-bit number per element
 *   keep[i] = hash[i] >= floor(rate·2^32)  (unsigned)          true with probability 1 - rate
 *   mask[i] = keep[i] ? 1/(1 - rate) : 0                       (1/(1 - rate) rounded to f32 once)
 *   out[i]  = x[i]·mask[i]
 *
 * The mask of element i depends only on (seed, i): no generator state, any order, any split
 * between threads, and the TypeScript reference gives the same bits. x, out, mask: n floats each
 * (out may be x); mask 0: not written (a caller that tells kept elements by out > 0 needs none).
 * rate in [0, 1), checked by the wrapper. `first` is the index i of x[0]: 0 for a whole tensor,
 * `begin` for the piece [begin, end) of one that a thread pool split (kernels/thread-pool.ts), so
 * that every piece draws the very mask the whole call would.
 */
export function dropoutForward(n: i32, x: usize, out: usize, mask: usize, seed: u32, rate: f64, first: i32): void {
  const threshold = <u32>(rate * 4294967296.0); // floor: rate·2^32 is exact, and >= 0
  const scale = <f32>(1.0 / (1.0 - rate));
  const thresholdx4 = i32x4.splat(threshold);
  const scalex4 = f32x4.splat(scale);
  const seedx4 = i32x4.splat(seed);
  // Lanes hold i·GOLDEN for the four elements i..i+3; each step adds 4·GOLDEN (wrapping, as u32 does).
  let counter = i32x4.mul(i32x4.add(i32x4.splat(first), i32x4(0, 1, 2, 3)), i32x4.splat(GOLDEN));
  const counterStep = i32x4.splat(GOLDEN * 4);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const hash = lowbias32x4(v128.xor(seedx4, counter));
    // All ones where kept: and-ing with the bits of `scale` gives scale or +0.0.
    const mi = v128.and(i32x4.ge_u(hash, thresholdx4), scalex4);
    if (mask != 0) v128.store(mask + at, mi);
    v128.store(out + at, f32x4.mul(v128.load(x + at), mi));
    counter = i32x4.add(counter, counterStep);
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const mi: f32 = lowbias32(seed ^ (<u32>(first + i) * GOLDEN)) >= threshold ? scale : 0;
    if (mask != 0) store<f32>(mask + at, mi);
    store<f32>(out + at, load<f32>(x + at) * mi);
  }
}

/** dx[i] += dout[i]·mask[i], n floats each (dropout's backward; the product is rounded, then added). */
export function mulInto(n: i32, dx: usize, dout: usize, mask: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(dx + at, f32x4.add(v128.load(dx + at), f32x4.mul(v128.load(dout + at), v128.load(mask + at))));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(dx + at, load<f32>(dx + at) + load<f32>(dout + at) * load<f32>(mask + at));
  }
}

// ---- ReLU and bias gradients -----------------------------------------------------------------------

/**
 * ReLU's backward through its output: dz[i] = y[i] > 0 ? dout[i]·scale : 0, n floats each (dz may
 * be dout). scale is 1 for a ReLU alone (dout·1 is dout, bit for bit); after a dropout applied in
 * place to the ReLU's output, y is the dropout's output (> 0 exactly where the ReLU passed and the
 * mask kept) and scale its 1/(1 - rate), so one pass is both backward passes. A NaN in y gives 0,
 * as `y > 0` is false.
 */
export function reluBackward(n: i32, dz: usize, dout: usize, y: usize, scale: f64): void {
  const zero = f32x4.splat(0);
  const factor = <f32>scale;
  const factorx4 = f32x4.splat(factor);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(dz + at, v128.and(f32x4.gt(v128.load(y + at), zero), f32x4.mul(v128.load(dout + at), factorx4)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(dz + at, load<f32>(y + at) > 0 ? load<f32>(dout + at) * factor : 0);
  }
}

/**
 * The bias gradient: db[j] += Σ_r dz[r, j], with dz a contiguous rows x cols matrix (row-major)
 * and db cols floats. Each column is summed in row order starting from db[j], the same order as
 * the reference, so the results are bit-identical to it.
 *
 * Blocks of 32 columns keep 8 f32x4 sums in registers while walking down the rows; then blocks
 * of 4 columns, then single columns.
 */
export function columnSumsInto(rows: i32, cols: i32, db: usize, dz: usize): void {
  const rowBytes = <usize>cols << 2;
  const end = dz + <usize>rows * rowBytes;
  let j = 0;
  for (; j + 32 <= cols; j += 32) {
    const out = db + (<usize>j << 2);
    let s0 = v128.load(out), s1 = v128.load(out, 16), s2 = v128.load(out, 32), s3 = v128.load(out, 48);
    let s4 = v128.load(out, 64), s5 = v128.load(out, 80), s6 = v128.load(out, 96), s7 = v128.load(out, 112);
    for (let row = dz + (<usize>j << 2); row < end; row += rowBytes) {
      s0 = f32x4.add(s0, v128.load(row));
      s1 = f32x4.add(s1, v128.load(row, 16));
      s2 = f32x4.add(s2, v128.load(row, 32));
      s3 = f32x4.add(s3, v128.load(row, 48));
      s4 = f32x4.add(s4, v128.load(row, 64));
      s5 = f32x4.add(s5, v128.load(row, 80));
      s6 = f32x4.add(s6, v128.load(row, 96));
      s7 = f32x4.add(s7, v128.load(row, 112));
    }
    v128.store(out, s0);
    v128.store(out, s1, 16);
    v128.store(out, s2, 32);
    v128.store(out, s3, 48);
    v128.store(out, s4, 64);
    v128.store(out, s5, 80);
    v128.store(out, s6, 96);
    v128.store(out, s7, 112);
  }
  for (; j + 4 <= cols; j += 4) {
    const out = db + (<usize>j << 2);
    let s = v128.load(out);
    for (let row = dz + (<usize>j << 2); row < end; row += rowBytes) s = f32x4.add(s, v128.load(row));
    v128.store(out, s);
  }
  for (; j < cols; j++) {
    const out = db + (<usize>j << 2);
    let s = load<f32>(out);
    for (let row = dz + (<usize>j << 2); row < end; row += rowBytes) s += load<f32>(row);
    store<f32>(out, s);
  }
}

// ---- fill -------------------------------------------------------------------------------------------

/** ptr[i] = value for i < n (zeroing gradients, mostly). */
export function fill(n: i32, ptr: usize, value: f32): void {
  const valuex4 = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(ptr + (<usize>i << 2), valuex4);
  for (; i < n; i++) store<f32>(ptr + (<usize>i << 2), value);
}

// ---- finiteness -------------------------------------------------------------------------------------

/** The exponent bits of a float32: all ones exactly for NaN and ±Infinity. */
const EXPONENT_BITS: u32 = 0x7f800000;

/** Floats per block of findNonFinite's fast loop: a branch every 256 bytes, an exact answer inside it. */
const FINITE_BLOCK = 64;

/**
 * Index of the first NaN or ±Infinity among x[0..n), or -1 when all n floats are finite: what
 * fit() runs on every gradient before the update (and on the data it is given), so it is a pure
 * read at memory speed.
 *
 * A float is finite unless its exponent bits are all ones. The fast loop keeps, per lane, the
 * largest (x & EXPONENT_BITS) as an unsigned integer in four independent accumulators; a block of
 * 64 floats holds a bad one exactly when that maximum reaches EXPONENT_BITS (no finite float's
 * masked bits are that large, and max, unlike or, cannot combine two finite ones into it). Only
 * then is the block scanned float by float for the exact index.
 */
export function findNonFinite(n: i32, x: usize): i32 {
  const exponent = i32x4.splat(EXPONENT_BITS);
  let i = 0;
  for (; i + FINITE_BLOCK <= n; i += FINITE_BLOCK) {
    const at = x + (<usize>i << 2);
    let a0 = v128.and(v128.load(at), exponent), a1 = v128.and(v128.load(at, 16), exponent);
    let a2 = v128.and(v128.load(at, 32), exponent), a3 = v128.and(v128.load(at, 48), exponent);
    for (let k: usize = 64; k < <usize>FINITE_BLOCK << 2; k += 64) {
      a0 = i32x4.max_u(a0, v128.and(v128.load(at + k), exponent));
      a1 = i32x4.max_u(a1, v128.and(v128.load(at + k, 16), exponent));
      a2 = i32x4.max_u(a2, v128.and(v128.load(at + k, 32), exponent));
      a3 = i32x4.max_u(a3, v128.and(v128.load(at + k, 48), exponent));
    }
    const largest = i32x4.max_u(i32x4.max_u(a0, a1), i32x4.max_u(a2, a3));
    if (v128.any_true(i32x4.eq(largest, exponent))) break; // the scalar loop below finds it in this block
  }
  for (; i < n; i++) {
    if ((load<u32>(x + (<usize>i << 2)) & EXPONENT_BITS) == EXPONENT_BITS) return i;
  }
  return -1;
}
