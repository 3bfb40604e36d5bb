// kernels/assembly/gemm.ts — single-precision GEMM in WebAssembly SIMD128, written in AssemblyScript.
// It is the hot loop of wasmgrad: packed panels + a 4x8 register-blocked microkernel, all four
// transpose cases, any sizes. It is not a general BLAS (f32 only, no alpha/beta, no threads of its own).
//
// Contract (the same as GemmArgs in kernels/types.ts; the TypeScript wrapper is kernels/wasm.ts):
//
//   C[M,N] = relu?( (accumulate ? C : 0) + op(A)[M,K] · op(B)[K,N] + bias[N] )
//
//   op(A) = A (M x K, row stride lda)   or, with transA, A^T where A is stored K x M (row stride lda)
//   op(B) = B (K x N, row stride ldb)   or, with transB, B^T where B is stored N x K (row stride ldb)
//   C is M x N with row stride ldc; bias is N floats, or pointer 0 for none.
//
//   - Pointers are byte offsets into the one imported (shared) memory; they need only 4-byte
//     alignment: every v128 load/store of A, B or C is an unaligned one, which costs nothing extra on
//     x64. Leading dimensions are in floats.
//   - Any M, N, K >= 0. Ragged edges (M not a multiple of 4, N not a multiple of 8) are handled by
//     zero-padding the packed panels and going through a small scratch tile, so nothing outside C's
//     M x N window is ever written. K = 0 still applies the epilogue: C = relu?((acc ? C : 0) + bias).
//   - Only rows [rowBegin, rowEnd) of C are computed. The wrapper passes 0..M; worker threads can
//     later split M between them by giving each its own row range and its own workspace.
//   - `workspace` is scratch for the packed panels: gemmWorkspaceBytes(M, N, K) bytes, 16-byte
//     aligned (the allocator gives 64), owned by this call while it runs.
//   - A convolution's A need not be stored (an implicit im2col): with lda = IMPLICIT_IM2COL (-1),
//     `a` points to an Im2colDescriptor (the NHWC image and its window geometry, below) and op(A) is
//     that image's im2col matrix cols [batch·outH·outW, windowH·windowW·channels] (transA: colsᵀ),
//     read straight from the image while packing. The packed panels hold the very floats im2col
//     would have stored, so C is bit-identical to im2col into memory followed by this GEMM.
//   - Nor need C be (an implicit col2im, for a convolution's input gradient): with ldc =
//     IMPLICIT_COL2IM (-1), `c` points to an Im2colDescriptor of dx, C is that convolution's
//     dcols [batch·outH·outW, windowH·windowW·channels], and dx = (accumulate ? dx : 0) + col2im(C)
//     is what is written; bias and relu must be off (see gemmCol2im, at the end of this file).
//
// How it works (the Goto/BLIS scheme, as in XNNPACK and OpenBLAS):
//
//   for each block of NC columns of C                     (j0)
//     for each block of at most KC steps of K (all of K up to KC_SINGLE)  (k0)
//       pack op(B)[k0:k0+kc, j0:j0+nc] into kc x 8 panels           -> lives in L2
//       for each block of MC rows of C                    (i0)
//         pack op(A)[i0:i0+mc, k0:k0+kc] into 4 x kc panels         -> lives in L2
//         for each 8-column panel of B                    (jr)       -> one panel lives in L1
//           for each 4-row panel of A                     (ir)
//             microkernel: the 4x8 tile of C += A panel · B panel, in 8 registers
//             (the 4x4 tile where at most 4 columns of C are left: N's ragged edge)
//
// Packing is what makes one microkernel serve all four transpose cases: whatever the layout of A
// and B, the microkernel reads both panels with unit stride.

import { addFloats, zeroFloats } from './floats';

// ---- tile and block sizes -------------------------------------------------------------------

/** Rows of C per microkernel tile (A broadcasts per k step). */
const MR: i32 = 4;
/** Columns of C per microkernel tile: two f32x4 vectors of B per k step. */
const NR: i32 = 8;
// Why 4x8: V8 on x64 gives wasm SIMD 15 xmm registers. A k step needs 8 accumulators (4 rows x 2
// vectors) + 2 B vectors + 4 A broadcasts + 1 temporary = 15. Every larger tile measured (5x8, 6x8,
// 8x8, 3x16) spills to the stack inside the loop and runs at half speed.

/** Steps of K per block (at most, beyond KC_SINGLE): a B panel (KC x 8 floats = 8 KiB) stays in L1. */
const KC: i32 = 256;
/** Rows of op(A) packed at once: MC x KC floats = 128 KiB, comfortably inside Zen 4's 1 MiB L2. */
const MC: i32 = 128;
/** Columns of op(B) packed at once: KC x NC floats = 512 KiB (768 KiB for one KC_SINGLE-deep block), so the workspace stays bounded. */
const NC: i32 = 512;

// ---- the multiply-add ---------------------------------------------------------------------------

// ASC_FEATURE_RELAXED_SIMD is a compile-time constant: `--target relaxed` (asconfig.json) builds
// the FMA version, `--target simd` the mul+add one, from this same source. The branch not taken is
// never compiled, so the simd build contains no relaxed instruction (Node 20 would reject it).
/** acc + a * b, lane-wise. relaxed_madd may fuse (one rounding) or not: both are within tolerance. */
// @ts-ignore: decorator
@inline
function multiplyAdd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, acc);
  } else {
    return f32x4.add(acc, f32x4.mul(a, b));
  }
}

// ---- workspace layout ---------------------------------------------------------------------------

/** Rounds a byte count up to a multiple of 64 (a cache line) so each region starts aligned. */
// @ts-ignore: decorator
@inline
function roundUp64(bytes: usize): usize {
  return (bytes + 63) & ~(<usize>63);
}

/**
 * Up to this depth K is one block, not two: every block loads and stores all of C once more, and
 * for a convolution's forward GEMM (K = 3·3·32 = 288, C = [B·11·11, 64], 4 MiB) the second pass
 * over C cost more than the larger B panel (288 x 8 floats = 9 KiB, still well inside L1).
 */
const KC_SINGLE: i32 = KC + KC / 2;

/**
 * Steps of K per block: K split into ceil(K / KC) blocks of (nearly) equal depth, so that K = 784
 * becomes 4 x 196 rather than 3 x 256 + 16 (a 16-deep block would pay the C loads and stores of
 * a 256-deep one). Every C tile is loaded and stored once per block. K <= KC_SINGLE is one block.
 */
function depthPerBlock(K: i32): i32 {
  if (K <= 0) return 0;
  if (K <= KC_SINGLE) return K;
  const blocks = (K + KC - 1) / KC;
  return (K + blocks - 1) / blocks;
}

// Region sizes, all functions of (M, N, K) so that gemm() and gemmWorkspaceBytes() agree:
//   packed B:    kc x ncPadded floats      (ncPadded = min(N rounded up to 8, NC))
//   packed A:    mcPadded x kc floats      (mcPadded = min(M rounded up to 4, MC))
//   bias panel:  ncPadded floats, zero-padded
//   edge tile:   MR x NR floats, the C tile of a ragged edge

function packedBBytes(N: i32, K: i32): usize {
  const ncPadded = min(((N + NR - 1) / NR) * NR, NC);
  return roundUp64(<usize>depthPerBlock(K) * <usize>ncPadded * 4);
}

function packedABytes(M: i32, K: i32): usize {
  const mcPadded = min(((M + MR - 1) / MR) * MR, MC);
  return <usize>(mcPadded / MR) * aPanelBytes(depthPerBlock(K));
}

/**
 * Bytes from one packed panel of A to the next: its kc x 4 floats rounded up to an odd number of
 * cache lines. Why odd: packIm2colColumnsGrouped stores into every panel in turn, and at a stride
 * of a multiple of 4 KiB (kc = 256: a kernel gradient over 12,800 output pixels, 50 blocks of 256)
 * all those stores fall into one set of the L1 cache, which holds 8 lines a set; an odd number of
 * lines spreads them over all 64 sets.
 */
// @ts-ignore: decorator
@inline
function aPanelBytes(kc: i32): usize {
  const lines = (<usize>kc * 16 + 63) >> 6;
  return (lines | 1) << 6;
}

function biasPanelBytes(N: i32): usize {
  return roundUp64(<usize>min(((N + NR - 1) / NR) * NR, NC) * 4);
}

const EDGE_TILE_BYTES: usize = <usize>(MR * NR * 4);

/**
 * Bytes of scratch that gemm(M, N, K, ...) needs, for any row range within 0..M. At most
 * 768 KiB + 194 KiB + 2 KiB + 128 B (a K of up to KC_SINGLE in one block) + 256 KiB (the block of
 * C rows of an implicit col2im), whatever the sizes.
 */
export function gemmWorkspaceBytes(M: i32, N: i32, K: i32): usize {
  return packedBBytes(N, K) + packedABytes(M, K) + biasPanelBytes(N) + EDGE_TILE_BYTES + col2imBlockBytes(M, N);
}

/** End of this module's static data. The wrapper checks it stays below the 64 KiB it reserves. */
export function staticDataEnd(): usize {
  return __heap_base;
}

// ---- packing ------------------------------------------------------------------------------------

/** Transposes a 4x4 block: rows r0..r3 in, columns out (lane i of output j = lane j of row i). */
// @ts-ignore: decorator
@inline
function storeTransposed4x4(dst: usize, dstStride: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const t1 = f32x4.shuffle(r0, r1, 2, 6, 3, 7); // r0[2] r1[2] r0[3] r1[3]
  const t2 = f32x4.shuffle(r2, r3, 0, 4, 1, 5); // r2[0] r3[0] r2[1] r3[1]
  const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7); // r2[2] r3[2] r2[3] r3[3]
  v128.store(dst, f32x4.shuffle(t0, t2, 0, 1, 4, 5)); // column 0: r0[0] r1[0] r2[0] r3[0]
  v128.store(dst + dstStride, f32x4.shuffle(t0, t2, 2, 3, 6, 7)); // column 1
  v128.store(dst + 2 * dstStride, f32x4.shuffle(t1, t3, 0, 1, 4, 5)); // column 2
  v128.store(dst + 3 * dstStride, f32x4.shuffle(t1, t3, 2, 3, 6, 7)); // column 3
}

/**
 * Packs rows [i0, i0 + rows) and depths [k0, k0 + kc) of op(A) into 4-row panels:
 *
 *   panel p (rows i0 + 4p .. i0 + 4p + 3) is kc x 4 floats at dst + p * aPanelBytes(kc) bytes,
 *   element (k, r) at float index k * 4 + r: the 4 values the microkernel broadcasts at step k.
 *
 * Rows past the end of the block are zeros, so the microkernel always computes a full 4x8 tile.
 */
function packA(dst: usize, a: usize, lda: i32, transA: bool, i0: i32, rows: i32, k0: i32, kc: i32): void {
  const strideA = <usize>lda * 4; // bytes between stored rows of A
  for (let p = 0; p < rows; p += MR) {
    const valid = min(MR, rows - p);
    const panel = dst + <usize>(p / MR) * aPanelBytes(kc);
    if (transA) {
      // A is stored K x M: op(A)[i][k] = A[k][i], so at each k the 4 rows are 4 adjacent floats.
      let src = a + <usize>(k0) * strideA + <usize>(i0 + p) * 4;
      if (valid == MR) {
        for (let k = 0; k < kc; k++) {
          v128.store(panel + <usize>k * 16, v128.load(src));
          src += strideA;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < MR; r++) {
            store<f32>(panel + <usize>(k * MR + r) * 4, r < valid ? load<f32>(src + <usize>r * 4) : 0);
          }
          src += strideA;
        }
      }
    } else {
      // A is stored M x K: each of the 4 rows is contiguous in k. Read 4 k's of 4 rows, transpose.
      const row0 = a + <usize>(i0 + p) * strideA + <usize>k0 * 4;
      let k = 0;
      if (valid == MR) {
        for (; k + 4 <= kc; k += 4) {
          const offset = <usize>k * 4;
          storeTransposed4x4(
            panel + <usize>k * 16, 16,
            v128.load(row0 + offset),
            v128.load(row0 + strideA + offset),
            v128.load(row0 + 2 * strideA + offset),
            v128.load(row0 + 3 * strideA + offset),
          );
        }
      }
      for (; k < kc; k++) {
        for (let r = 0; r < MR; r++) {
          store<f32>(panel + <usize>(k * MR + r) * 4, r < valid ? load<f32>(row0 + <usize>r * strideA + <usize>k * 4) : 0);
        }
      }
    }
  }
}

/**
 * Packs depths [k0, k0 + kc) and columns [j0, j0 + cols) of op(B) into 8-column panels:
 *
 *   panel q (columns j0 + 8q .. j0 + 8q + 7) is kc x 8 floats at dst + q * kc * 32 bytes,
 *   element (k, c) at float index k * 8 + c: the two vectors the microkernel loads at step k.
 *
 * Columns past the end of the block are zeros.
 */
function packB(dst: usize, b: usize, ldb: i32, transB: bool, j0: i32, cols: i32, k0: i32, kc: i32): void {
  const strideB = <usize>ldb * 4; // bytes between stored rows of B
  for (let q = 0; q < cols; q += NR) {
    const valid = min(NR, cols - q);
    const panel = dst + <usize>(q / NR) * <usize>kc * 32;
    if (!transB) {
      // B is stored K x N: at each k the panel's 8 columns are 8 adjacent floats.
      let src = b + <usize>k0 * strideB + <usize>(j0 + q) * 4;
      if (valid == NR) {
        for (let k = 0; k < kc; k++) {
          const out = panel + <usize>k * 32;
          v128.store(out, v128.load(src));
          v128.store(out, v128.load(src, 16), 16);
          src += strideB;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let c = 0; c < NR; c++) {
            store<f32>(panel + <usize>(k * NR + c) * 4, c < valid ? load<f32>(src + <usize>c * 4) : 0);
          }
          src += strideB;
        }
      }
    } else {
      // B is stored N x K: op(B)[k][j] = B[j][k], each of the 8 columns is a contiguous row of B.
      // Read 4 k's of 8 rows, transpose as two 4x4 blocks (columns 0-3 and 4-7 of the panel).
      const row0 = b + <usize>(j0 + q) * strideB + <usize>k0 * 4;
      let k = 0;
      if (valid == NR) {
        for (; k + 4 <= kc; k += 4) {
          const offset = <usize>k * 4;
          const out = panel + <usize>k * 32;
          storeTransposed4x4(
            out, 32,
            v128.load(row0 + offset),
            v128.load(row0 + strideB + offset),
            v128.load(row0 + 2 * strideB + offset),
            v128.load(row0 + 3 * strideB + offset),
          );
          storeTransposed4x4(
            out + 16, 32,
            v128.load(row0 + 4 * strideB + offset),
            v128.load(row0 + 5 * strideB + offset),
            v128.load(row0 + 6 * strideB + offset),
            v128.load(row0 + 7 * strideB + offset),
          );
        }
      }
      for (; k < kc; k++) {
        for (let c = 0; c < NR; c++) {
          store<f32>(panel + <usize>(k * NR + c) * 4, c < valid ? load<f32>(row0 + <usize>c * strideB + <usize>k * 4) : 0);
        }
      }
    }
  }
}

/** Copies bias[j0 .. j0 + cols) into a panel zero-padded to a multiple of 8 floats. */
function packBias(dst: usize, bias: usize, j0: i32, cols: i32): void {
  const padded = ((cols + NR - 1) / NR) * NR;
  for (let j = 0; j < padded; j++) {
    store<f32>(dst + <usize>j * 4, j < cols ? load<f32>(bias + <usize>(j0 + j) * 4) : 0);
  }
}

// ---- packing from an image: the implicit im2col -------------------------------------------------
// A convolution's GEMM multiplies cols = im2col(x), 15,488 x 288 floats (18 MB) for the second
// layer of Keras' MNIST convnet, which im2col writes and the packing then reads back from memory.
// Packed straight from the image instead, the panels are built from a few kilobytes of x that stay
// in cache, and cols never exists. Element (m, k) of cols, for output pixel m = (b, oy, ox) and
// column k = (ky, kx, c), is x[b, oy·strideH - padTop + ky, ox·strideW - padLeft + kx, c] (0 in the
// padding): for a fixed ky, the windowW·channels floats of one window row are contiguous in x.

/** The lda that marks A as an implicit im2col: `a` then points to an Im2colDescriptor. */
const IMPLICIT_IM2COL: i32 = -1;

// The Im2colDescriptor: 13 i32 words, the image's byte offset, then its WindowGeometry in
// WasmConvExports' order (batch, height, width, channels, windowH, windowW, strideH, strideW,
// padTop, padLeft, outH, outW). Read once per GEMM call into these (each instance has its own).
let imageX: usize = 0;
let imageHeight: i32 = 0, imageWidth: i32 = 0, imageChannels: i32 = 0;
let windowHeight: i32 = 0, windowWidth: i32 = 0, windowStrideH: i32 = 0, windowStrideW: i32 = 0;
let windowPadTop: i32 = 0, windowPadLeft: i32 = 0, windowOutH: i32 = 0, windowOutW: i32 = 0;

function readIm2colDescriptor(d: usize): void {
  imageX = <usize>load<u32>(d);
  imageHeight = load<i32>(d, 8); imageWidth = load<i32>(d, 12); imageChannels = load<i32>(d, 16);
  windowHeight = load<i32>(d, 20); windowWidth = load<i32>(d, 24);
  windowStrideH = load<i32>(d, 28); windowStrideW = load<i32>(d, 32);
  windowPadTop = load<i32>(d, 36); windowPadLeft = load<i32>(d, 40);
  windowOutH = load<i32>(d, 44); windowOutW = load<i32>(d, 48);
}

/** Bytes of one image of x. */
// @ts-ignore: decorator
@inline
function imageBytes(): usize {
  return <usize>imageHeight * <usize>imageWidth * (<usize>imageChannels << 2);
}

/**
 * The byte offset in x of output pixel m's window corner (row oy·strideH - padTop, column
 * ox·strideW - padLeft), or 0 when that window does not lie wholly inside the image (no tensor
 * lives at offset 0: kernels/memory.ts keeps the first 64 KiB for this module's static data).
 */
function insideWindowCorner(m: i32): usize {
  const outPixels = windowOutH * windowOutW;
  const b = m / outPixels, rest = m - b * outPixels;
  const oy = rest / windowOutW, ox = rest - oy * windowOutW;
  const iy0 = oy * windowStrideH - windowPadTop, ix0 = ox * windowStrideW - windowPadLeft;
  if (iy0 < 0 || ix0 < 0 || iy0 + windowHeight > imageHeight || ix0 + windowWidth > imageWidth) return 0;
  return imageX + <usize>b * imageBytes() + (<usize>iy0 * <usize>imageWidth + <usize>ix0) * (<usize>imageChannels << 2);
}

/** cols[m, k]: element k = (ky, kx, c) of output pixel m's window, 0 in the padding (any geometry; the slow path). */
function im2colAt(m: i32, k: i32): f32 {
  const outPixels = windowOutH * windowOutW;
  const b = m / outPixels, rest = m - b * outPixels;
  const oy = rest / windowOutW, ox = rest - oy * windowOutW;
  const tap = k / imageChannels, c = k - tap * imageChannels;
  const ky = tap / windowWidth, kx = tap - ky * windowWidth;
  const iy = oy * windowStrideH - windowPadTop + ky, ix = ox * windowStrideW - windowPadLeft + kx;
  if (iy < 0 || iy >= imageHeight || ix < 0 || ix >= imageWidth) return 0;
  return load<f32>(imageX + <usize>b * imageBytes() + ((<usize>iy * <usize>imageWidth + <usize>ix) * <usize>imageChannels + <usize>c) * 4);
}

/** 4 floats of x at (iy, ix), channels c..c+3 of `image`, or zeros when (iy, ix) is in the padding. */
// @ts-ignore: decorator
@inline
function pixelFloats4(image: usize, iy: i32, ix: i32, c: i32): v128 {
  if (iy < 0 || iy >= imageHeight || ix < 0 || ix >= imageWidth) return f32x4.splat(0);
  return v128.load(image + ((<usize>iy * <usize>imageWidth + <usize>ix) * <usize>imageChannels + <usize>c) * 4);
}

// The tap counter of the packing loops that go 4 channels at a time through a window (channels a
// multiple of 4): column k = (ky, kx, c) of cols as (tapRow, tapColumn, tapChannel), stepped on in
// the order of cols' columns. Module state, like the descriptor above: AssemblyScript has no way
// to return three numbers, and the two loops that walk the taps then share one definition.
let tapRow: i32 = 0, tapColumn: i32 = 0, tapChannel: i32 = 0;

/** Sets the tap counter to column k of cols. */
// @ts-ignore: decorator
@inline
function startTap(k: i32): void {
  const tap = k / imageChannels;
  tapChannel = k - tap * imageChannels;
  tapRow = tap / windowWidth;
  tapColumn = tap - tapRow * windowWidth;
}

/** Moves the tap counter 4 channels on; true when that starts the next tap (kx, and at a row's end ky, moved). */
// @ts-ignore: decorator
@inline
function nextTap4(): bool {
  tapChannel += 4;
  if (tapChannel != imageChannels) return false;
  tapChannel = 0;
  if (++tapColumn == windowWidth) {
    tapColumn = 0;
    tapRow++;
  }
  return true;
}

// The output-pixel counter of the loops that walk cols' rows in order: row m = (b, oy, ox) as
// (pixelImage, image b's byte offset in the descriptor's image; pixelY, pixelX), stepped on in the
// order of the rows. Module state, like the tap counter.
let pixelImage: usize = 0, pixelY: i32 = 0, pixelX: i32 = 0;

/** Sets the output-pixel counter to row m of cols. */
// @ts-ignore: decorator
@inline
function startPixel(m: i32): void {
  const outPixels = windowOutH * windowOutW;
  const b = m / outPixels, rest = m - b * outPixels;
  pixelY = rest / windowOutW;
  pixelX = rest - pixelY * windowOutW;
  pixelImage = imageX + <usize>b * imageBytes();
}

/** Moves the output-pixel counter to the next row of cols (the next image after an image's last pixel). */
// @ts-ignore: decorator
@inline
function nextPixel(): void {
  if (++pixelX == windowOutW) {
    pixelX = 0;
    if (++pixelY == windowOutH) {
      pixelY = 0;
      pixelImage += imageBytes();
    }
  }
}

/**
 * packIm2colRows for a panel of 4 rows (output pixels m..m+3) some of whose windows reach the
 * padding, channels and k0 multiples of 4: 4 channels of one tap at a time, each row's read or
 * zeros, transposed. Returns the depth reached (the whole groups of 4); the caller does the rest.
 */
function packIm2colRowsChecked(panel: usize, m: i32, k0: i32, kc: i32): i32 {
  // The 4 rows' images and window corners: consecutive output pixels.
  startPixel(m);
  const image0 = pixelImage, iy0 = pixelY * windowStrideH - windowPadTop, ix0 = pixelX * windowStrideW - windowPadLeft;
  nextPixel();
  const image1 = pixelImage, iy1 = pixelY * windowStrideH - windowPadTop, ix1 = pixelX * windowStrideW - windowPadLeft;
  nextPixel();
  const image2 = pixelImage, iy2 = pixelY * windowStrideH - windowPadTop, ix2 = pixelX * windowStrideW - windowPadLeft;
  nextPixel();
  const image3 = pixelImage, iy3 = pixelY * windowStrideH - windowPadTop, ix3 = pixelX * windowStrideW - windowPadLeft;
  startTap(k0);
  let k = 0;
  for (; k + 4 <= kc; k += 4) {
    const ky = tapRow, kx = tapColumn, c = tapChannel;
    storeTransposed4x4(
      panel + <usize>k * 16, 16,
      pixelFloats4(image0, iy0 + ky, ix0 + kx, c), pixelFloats4(image1, iy1 + ky, ix1 + kx, c),
      pixelFloats4(image2, iy2 + ky, ix2 + kx, c), pixelFloats4(image3, iy3 + ky, ix3 + kx, c),
    );
    nextTap4();
  }
  return k;
}

/**
 * packA for op(A) = cols (output pixels as rows): rows [i0, i0 + rows), depths [k0, k0 + kc), the
 * same panels packA makes from a stored cols. Fast path, for 4 rows whose windows lie inside the
 * image when a window row holds a multiple of 4 floats and k0 is a multiple of 4: 4 floats of each
 * row at a time, one offset for all four (their windows are the same shape), transposed; at the end
 * of a window row the offset jumps to the next image row. Elsewhere (the padding, a ragged edge),
 * element by element.
 */
function packIm2colRows(dst: usize, i0: i32, rows: i32, k0: i32, kc: i32): void {
  const span = windowWidth * imageChannels; // floats of one window row
  const rowJump = <usize>(imageWidth * imageChannels - span) << 2; // from a window row's end to the next one's start
  for (let p = 0; p < rows; p += MR) {
    const valid = min(MR, rows - p);
    const panel = dst + <usize>(p / MR) * aPanelBytes(kc);
    const m = i0 + p;
    const x0 = insideWindowCorner(m);
    const x1 = valid == MR ? insideWindowCorner(m + 1) : 0;
    const x2 = valid == MR ? insideWindowCorner(m + 2) : 0;
    const x3 = valid == MR ? insideWindowCorner(m + 3) : 0;
    let k = 0;
    if (valid == MR && (x0 == 0 || x1 == 0 || x2 == 0 || x3 == 0) && imageChannels % 4 == 0 && k0 % 4 == 0) {
      k = packIm2colRowsChecked(panel, m, k0, kc);
    } else if (x0 != 0 && x1 != 0 && x2 != 0 && x3 != 0 && span % 4 == 0 && k0 % 4 == 0) {
      const ky = k0 / span;
      let t = k0 - ky * span; // position within the window row
      let offset = (<usize>ky * <usize>imageWidth * <usize>imageChannels + <usize>t) << 2;
      for (; k + 4 <= kc; k += 4) {
        storeTransposed4x4(panel + <usize>k * 16, 16, v128.load(x0 + offset), v128.load(x1 + offset), v128.load(x2 + offset), v128.load(x3 + offset));
        offset += 16;
        t += 4;
        if (t == span) {
          t = 0;
          offset += rowJump;
        }
      }
    }
    for (; k < kc; k++) {
      for (let r = 0; r < MR; r++) {
        store<f32>(panel + <usize>(k * MR + r) * 4, r < valid ? im2colAt(m + r, k0 + k) : 0);
      }
    }
  }
}

/**
 * packA for op(A) = colsᵀ (a kernel gradient: rows are cols' columns k, depths its output pixels m):
 * rows [i0, i0 + rows), depths [k0, k0 + kc). A panel's 4 rows are 4 channels of one tap when
 * channels and i0 are multiples of 4: at each output pixel those 4 floats are adjacent in x, and
 * one load fetches them; the whole panels go pixel by pixel (packIm2colColumnsGrouped). Elsewhere
 * (and a ragged last panel), element by element.
 */
function packIm2colColumns(dst: usize, i0: i32, rows: i32, k0: i32, kc: i32): void {
  let p = 0;
  if (imageChannels % 4 == 0 && i0 % 4 == 0) {
    p = rows & ~(MR - 1);
    packIm2colColumnsGrouped(dst, i0, p, k0, kc);
  }
  for (; p < rows; p += MR) {
    const valid = min(MR, rows - p);
    const panel = dst + <usize>(p / MR) * aPanelBytes(kc);
    for (let k = 0; k < kc; k++) {
      for (let r = 0; r < MR; r++) {
        store<f32>(panel + <usize>(k * MR + r) * 4, r < valid ? im2colAt(k0 + k, i0 + p + r) : 0);
      }
    }
  }
}

/**
 * packIm2colColumns for whole panels (i0 and channels multiples of 4), output pixel by output pixel:
 * each pixel's rows are read in order and stored one panel further each, so the walk over the
 * pixels costs once per pixel, not once per panel. A window inside the image is read from its
 * corner (a window row's floats are contiguous in x); one reaching the padding tap by tap, zeros
 * where the tap's pixel is outside.
 */
function packIm2colColumnsGrouped(dst: usize, i0: i32, rows: i32, k0: i32, kc: i32): void {
  if (rows <= 0) return;
  const pixelBytes = <usize>imageChannels << 2;
  const span = windowWidth * imageChannels; // floats of one window row
  const rowJump = <usize>(imageWidth * imageChannels - span) << 2; // from a window row's end to the next one's start
  const ky0 = i0 / span, t0 = i0 - ky0 * span; // where row i0 sits in the window
  const kx0 = t0 / imageChannels, c0 = t0 - kx0 * imageChannels;
  const offset0 = (<usize>ky0 * <usize>imageWidth * <usize>imageChannels + <usize>t0) << 2;
  const panelBytes = aPanelBytes(kc);
  const panels = rows / MR;
  startPixel(k0);
  for (let k = 0; k < kc; k++) {
    const image = pixelImage, iy0 = pixelY * windowStrideH - windowPadTop, ix0 = pixelX * windowStrideW - windowPadLeft;
    let to = dst + <usize>k * 16;
    if (iy0 >= 0 && ix0 >= 0 && iy0 + windowHeight <= imageHeight && ix0 + windowWidth <= imageWidth) {
      const corner = image + (<usize>iy0 * <usize>imageWidth + <usize>ix0) * pixelBytes;
      let offset = offset0;
      let t = t0;
      for (let q = 0; q < panels; q++) {
        v128.store(to, v128.load(corner + offset));
        to += panelBytes;
        offset += 16;
        t += 4;
        if (t == span) {
          t = 0;
          offset += rowJump;
        }
      }
    } else {
      // Tap by tap: inside the image, its channels are contiguous from `from`; outside, zeros.
      tapRow = ky0;
      tapColumn = kx0;
      tapChannel = c0;
      let iy = iy0 + tapRow, ix = ix0 + tapColumn;
      let inside = iy >= 0 && iy < imageHeight && ix >= 0 && ix < imageWidth;
      let from = inside ? image + ((<usize>iy * <usize>imageWidth + <usize>ix) * <usize>imageChannels + <usize>tapChannel) * 4 : 0;
      for (let q = 0; q < panels; q++) {
        if (inside) v128.store(to, v128.load(from));
        else v128.store(to, f32x4.splat(0));
        to += panelBytes;
        from += 16;
        if (nextTap4()) {
          iy = iy0 + tapRow;
          ix = ix0 + tapColumn;
          inside = iy >= 0 && iy < imageHeight && ix >= 0 && ix < imageWidth;
          from = inside ? image + (<usize>iy * <usize>imageWidth + <usize>ix) * pixelBytes : 0;
        }
      }
    }
    nextPixel();
  }
}

// ---- the microkernel ----------------------------------------------------------------------------

/**
 * The epilogue of one accumulator (4 floats of a tile row), in the contract's order: add the
 * previous C (loadTile, read from `previous`), then the bias, then ReLU.
 * pmax(zero, x) is `zero < x ? x : zero`: one maxps on x86 (f32x4.max needs NaN fix-ups), and a
 * NaN in x gives 0, as in the reference's `!(x > 0)`.
 */
// @ts-ignore: decorator
@inline
function finishTile(acc: v128, previous: usize, loadTile: bool, bias: v128, hasBias: bool, relu: bool): v128 {
  if (loadTile) acc = f32x4.add(acc, v128.load(previous));
  if (hasBias) acc = f32x4.add(acc, bias);
  if (relu) acc = f32x4.pmax(f32x4.splat(0), acc);
  return acc;
}

/**
 * One 4x8 tile of C:  tile = relu?( (loadTile ? tile : 0) + Apanel[4, kc] · Bpanel[kc, 8] + bias[8] )
 *
 *   aPanel: kc x 4 floats (packA layout), bPanel: kc x 8 floats (packB layout), both 16-byte aligned.
 *   tile:   4 rows of 8 floats, row r at tile + r * tileStride bytes (C itself, or the edge tile).
 *   bias:   8 floats (a bias panel), or 0 for none. relu: max(0, x) after the bias.
 *
 * The 8 accumulators are named c<row><half>: c21 holds row 2, columns 4..7.
 */
function microkernel4x8(
  kc: i32, aPanel: usize, bPanel: usize, tile: usize, tileStride: usize, loadTile: bool, bias: usize, relu: bool,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);

  // The hot loop: per step k, 2 loads of B, 4 broadcast loads of A, 8 multiply-adds (64 flops).
  // Immediate offsets are constants, so each load is one instruction with no address arithmetic;
  // raw loads are not bounds-checked on x64 (V8 relies on guard pages).
  let a = aPanel;
  let b = bPanel;
  const aEnd = aPanel + <usize>kc * 16;
  while (a < aEnd) {
    const b0 = v128.load(b); // B[k][0..3]
    const b1 = v128.load(b, 16); // B[k][4..7]
    const a0 = v128.load32_splat(a); // A[0][k] in all four lanes
    c00 = multiplyAdd(a0, b0, c00);
    c01 = multiplyAdd(a0, b1, c01);
    const a1 = v128.load32_splat(a, 4);
    c10 = multiplyAdd(a1, b0, c10);
    c11 = multiplyAdd(a1, b1, c11);
    const a2 = v128.load32_splat(a, 8);
    c20 = multiplyAdd(a2, b0, c20);
    c21 = multiplyAdd(a2, b1, c21);
    const a3 = v128.load32_splat(a, 12);
    c30 = multiplyAdd(a3, b0, c30);
    c31 = multiplyAdd(a3, b1, c31);
    a += 16;
    b += 32;
  }

  // Epilogue, in the contract's order: previous C, then bias, then ReLU (finishTile).
  const row0 = tile;
  const row1 = tile + tileStride;
  const row2 = tile + 2 * tileStride;
  const row3 = tile + 3 * tileStride;
  const hasBias = bias != 0;
  const bias0 = hasBias ? v128.load(bias) : f32x4.splat(0);
  const bias1 = hasBias ? v128.load(bias, 16) : f32x4.splat(0);
  v128.store(row0, finishTile(c00, row0, loadTile, bias0, hasBias, relu));
  v128.store(row0 + 16, finishTile(c01, row0 + 16, loadTile, bias1, hasBias, relu));
  v128.store(row1, finishTile(c10, row1, loadTile, bias0, hasBias, relu));
  v128.store(row1 + 16, finishTile(c11, row1 + 16, loadTile, bias1, hasBias, relu));
  v128.store(row2, finishTile(c20, row2, loadTile, bias0, hasBias, relu));
  v128.store(row2 + 16, finishTile(c21, row2 + 16, loadTile, bias1, hasBias, relu));
  v128.store(row3, finishTile(c30, row3, loadTile, bias0, hasBias, relu));
  v128.store(row3 + 16, finishTile(c31, row3 + 16, loadTile, bias1, hasBias, relu));
}

/**
 * The narrow tile, for N's ragged edge when at most 4 columns are left (a 10-class layer: one full
 * panel, then 2 columns):  tile[4, 4] = relu?( (loadTile ? tile : 0) + Apanel · Bpanel[:, 0:4] + bias[4] )
 *
 * It reads the same packed panels as microkernel4x8 (B's panel is still 8 wide; its right half is
 * padding) and does half the work. Columns 0..3 see exactly the operations of microkernel4x8, in
 * the same order, so the result is bit-identical to the wide tile's left half.
 */
function microkernel4x4(
  kc: i32, aPanel: usize, bPanel: usize, tile: usize, tileStride: usize, loadTile: bool, bias: usize, relu: bool,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let a = aPanel;
  let b = bPanel;
  const aEnd = aPanel + <usize>kc * 16;
  while (a < aEnd) {
    const b0 = v128.load(b); // B[k][0..3]
    c0 = multiplyAdd(v128.load32_splat(a), b0, c0);
    c1 = multiplyAdd(v128.load32_splat(a, 4), b0, c1);
    c2 = multiplyAdd(v128.load32_splat(a, 8), b0, c2);
    c3 = multiplyAdd(v128.load32_splat(a, 12), b0, c3);
    a += 16;
    b += 32;
  }
  const row0 = tile;
  const row1 = tile + tileStride;
  const row2 = tile + 2 * tileStride;
  const row3 = tile + 3 * tileStride;
  const hasBias = bias != 0;
  const bias0 = hasBias ? v128.load(bias) : f32x4.splat(0);
  v128.store(row0, finishTile(c0, row0, loadTile, bias0, hasBias, relu));
  v128.store(row1, finishTile(c1, row1, loadTile, bias0, hasBias, relu));
  v128.store(row2, finishTile(c2, row2, loadTile, bias0, hasBias, relu));
  v128.store(row3, finishTile(c3, row3, loadTile, bias0, hasBias, relu));
}

/**
 * The narrowest tiles, for N's ragged edge when 1 to 3 columns are left (a 10-class layer: one
 * full panel, then 2 columns):  tile[4, cols] = relu?( (loadTile ? tile : 0) + Apanel · Bpanel[:, 0:cols] + bias[cols] )
 *
 * Here a vector holds a column of the tile (its 4 rows: one load from the A panel per k step), not
 * a row: with one broadcast of B per column, a k step is 4 loads and 3 multiply-adds, where
 * microkernel4x4 takes 5 loads and 4 multiply-adds to keep 1 to 3 of its 4 columns, and the
 * ragged edge then copies the tile through scratch. Each element of C still sees the same
 * multiply-adds in the same order as in the wider tiles, so the bits are the same. The tile is
 * read and written element by element (a column of it is 4 rows apart in C).
 */
function microkernel4xColumns(
  kc: i32, aPanel: usize, bPanel: usize, cols: i32, tile: usize, tileStride: usize, loadTile: bool, bias: usize, relu: bool,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0); // columns 0, 1, 2 of the tile
  let a = aPanel;
  let b = bPanel;
  const aEnd = aPanel + <usize>kc * 16;
  while (a < aEnd) {
    const column = v128.load(a); // A[0..3][k]
    c0 = multiplyAdd(column, v128.load32_splat(b), c0); // · B[k][0] in all four lanes
    c1 = multiplyAdd(column, v128.load32_splat(b, 4), c1);
    c2 = multiplyAdd(column, v128.load32_splat(b, 8), c2);
    a += 16;
    b += 32;
  }
  for (let j = 0; j < cols; j++) {
    let acc = j == 0 ? c0 : j == 1 ? c1 : c2;
    const top = tile + <usize>j * 4; // row 0 of column j
    if (loadTile) {
      let previous = f32x4.splat(load<f32>(top));
      previous = f32x4.replace_lane(previous, 1, load<f32>(top + tileStride));
      previous = f32x4.replace_lane(previous, 2, load<f32>(top + 2 * tileStride));
      previous = f32x4.replace_lane(previous, 3, load<f32>(top + 3 * tileStride));
      acc = f32x4.add(acc, previous);
    }
    if (bias != 0) acc = f32x4.add(acc, f32x4.splat(load<f32>(bias + <usize>j * 4)));
    if (relu) acc = f32x4.pmax(f32x4.splat(0), acc);
    store<f32>(top, f32x4.extract_lane(acc, 0));
    store<f32>(top + tileStride, f32x4.extract_lane(acc, 1));
    store<f32>(top + 2 * tileStride, f32x4.extract_lane(acc, 2));
    store<f32>(top + 3 * tileStride, f32x4.extract_lane(acc, 3));
  }
}

// ---- the driver ---------------------------------------------------------------------------------

/**
 * One packed block: C[i0 : i0 + mc, j0 : j0 + nc] = relu?((loadC ? C : 0) + Ablock · Bblock + bias),
 * the A panels (packA layout, mc rows) times the B panels (packB layout, nc columns), kc deep.
 * `cBlock` is the block's top-left float of C (row stride strideC bytes), `biasPanel` its columns'
 * bias (or 0). Full 4x8 tiles are computed in C itself; the ragged edges through `edgeTile`.
 */
function multiplyBlock(
  packedA: usize, packedB: usize, mc: i32, nc: i32, kc: i32,
  cBlock: usize, strideC: usize, loadC: bool, biasPanel: usize, relu: bool, edgeTile: usize,
): void {
  for (let q = 0; q < nc; q += NR) {
    const bPanel = packedB + <usize>(q / NR) * <usize>kc * 32;
    const biasPanelHere: usize = biasPanel != 0 ? biasPanel + <usize>q * 4 : 0;
    const cols = min(NR, nc - q);
    const cColumn = cBlock + <usize>q * 4;

    for (let p = 0; p < mc; p += MR) {
      const aPanel = packedA + <usize>(p / MR) * aPanelBytes(kc);
      const rows = min(MR, mc - p);
      const cTile = cColumn + <usize>p * strideC;

      if (rows == MR && cols == NR) {
        microkernel4x8(kc, aPanel, bPanel, cTile, strideC, loadC, biasPanelHere, relu);
      } else if (rows == MR && cols == NR / 2) {
        microkernel4x4(kc, aPanel, bPanel, cTile, strideC, loadC, biasPanelHere, relu);
      } else if (rows == MR && cols < NR / 2) {
        microkernel4xColumns(kc, aPanel, bPanel, cols, cTile, strideC, loadC, biasPanelHere, relu);
      } else {
        // M's ragged edge (fewer than 4 rows): the full 4x8 tile in scratch, only its valid part copied.
        for (let r = 0; r < MR; r++) {
          for (let col = 0; col < NR; col++) {
            const inside = loadC && r < rows && col < cols;
            store<f32>(edgeTile + <usize>(r * NR + col) * 4, inside ? load<f32>(cTile + <usize>r * strideC + <usize>col * 4) : 0);
          }
        }
        // At most 4 columns left: the narrow tile, half the work.
        if (cols <= NR / 2) microkernel4x4(kc, aPanel, bPanel, edgeTile, <usize>NR * 4, loadC, biasPanelHere, relu);
        else microkernel4x8(kc, aPanel, bPanel, edgeTile, <usize>NR * 4, loadC, biasPanelHere, relu);
        for (let r = 0; r < rows; r++) {
          for (let col = 0; col < cols; col++) {
            store<f32>(cTile + <usize>r * strideC + <usize>col * 4, load<f32>(edgeTile + <usize>(r * NR + col) * 4));
          }
        }
      }
    }
  }
}

/**
 * C = relu?((accumulate ? C : 0) + op(A)·op(B) + bias), rows [rowBegin, rowEnd) of C only.
 * See the contract at the top of this file. Shapes: op(A) M x K, op(B) K x N, C M x N, bias N.
 */
export function gemm(
  transA: bool, transB: bool, M: i32, N: i32, K: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  bias: usize, relu: bool, accumulate: bool,
  workspace: usize, rowBegin: i32, rowEnd: i32,
): void {
  rowBegin = max(rowBegin, 0);
  rowEnd = min(rowEnd, M);
  if (rowEnd <= rowBegin || N <= 0) return;
  if (ldc == IMPLICIT_COL2IM) {
    readIm2colDescriptor(c);
    gemmCol2im(transA, transB, M, N, K, a, lda, b, ldb, accumulate, workspace, rowBegin, rowEnd);
    return;
  }

  const implicitA = lda == IMPLICIT_IM2COL;
  if (implicitA) readIm2colDescriptor(a);
  const packedB = workspace;
  const packedA = packedB + packedBBytes(N, K);
  const biasPanel = packedA + packedABytes(M, K);
  const edgeTile = biasPanel + biasPanelBytes(N);
  const strideC = <usize>ldc * 4;

  // K = 0 still runs one (empty) block, so that the epilogue writes C.
  const kcMax = depthPerBlock(K);
  const kBlocks = K > 0 ? (K + kcMax - 1) / kcMax : 1;

  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = min(NC, N - j0);
    if (bias != 0) packBias(biasPanel, bias, j0, nc);

    for (let kb = 0; kb < kBlocks; kb++) {
      const k0 = kb * kcMax;
      const kc = min(kcMax, K - k0);
      // The first block starts from C (accumulate) or from zero; later blocks add to it.
      // Bias and ReLU are applied once, by the last block.
      const loadC = accumulate || kb > 0;
      const lastBlock = kb == kBlocks - 1;

      packB(packedB, b, ldb, transB, j0, nc, k0, kc);

      for (let i0 = rowBegin; i0 < rowEnd; i0 += MC) {
        const mc = min(MC, rowEnd - i0);
        if (!implicitA) packA(packedA, a, lda, transA, i0, mc, k0, kc);
        else if (transA) packIm2colColumns(packedA, i0, mc, k0, kc);
        else packIm2colRows(packedA, i0, mc, k0, kc);
        const cBlock = c + <usize>i0 * strideC + <usize>j0 * 4;
        multiplyBlock(packedA, packedB, mc, nc, kc, cBlock, strideC, loadC, lastBlock && bias != 0 ? biasPanel : 0, lastBlock && relu, edgeTile);
      }
    }
  }
}

// ---- scattering C into an image: the implicit col2im ---------------------------------------------
// A convolution's input gradient is dx = col2im(dcols), with dcols [batch·outH·outW,
// windowH·windowW·channels] = dz · kernelᵀ: for the second layer of Keras' MNIST convnet 18 MB
// that a GEMM writes and col2im reads back, into a dx that was zeroed first. With ldc =
// IMPLICIT_COL2IM (-1) instead, `c` points to an Im2colDescriptor of dx (the geometry of the
// convolution whose input gradient it is) and C = dcols is never stored:
//
//   dx [batch, height, width, channels] = (accumulate ? dx : 0) + col2im(op(A) · op(B))
//
// Each block of at most MC rows of C is computed into the workspace (a 128 x 288 block: 144 KiB,
// in L2) and at once added into dx, row by row, at the pixels its entries came from. bias and relu
// do not apply. The rows go in order, so up to NC columns (N <= 512: one column block) every pixel
// of dx adds its entries in the same order as col2imInto: the same bits as a zeroed dx (or dx
// itself, with accumulate), gemm into dcols, then col2imInto.

/** The ldc that marks C as an implicit col2im: `c` then points to an Im2colDescriptor of dx. */
const IMPLICIT_COL2IM: i32 = -1;

/** Bytes of one block of C rows kept for the implicit col2im: MC x (N rounded up to 8, at most NC) floats. */
function col2imBlockBytes(M: i32, N: i32): usize {
  return <usize>min(((M + MR - 1) / MR) * MR, MC) * <usize>min(((N + NR - 1) / NR) * NR, NC) * 4;
}

/**
 * gemm's implicit-col2im form (ldc = IMPLICIT_COL2IM, the descriptor already read), for the rows
 * [rowBegin, rowEnd) of C as the pool cuts them, on whole images: an image is done by the piece that
 * holds its first row. However the rows are cut between threads, every image of dx is then written
 * by one thread, in the same blocks: blocks of rows end at multiples of MC and at images' ends, not
 * where a piece begins, so the bits do not depend on the cut.
 */
function gemmCol2im(
  transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32,
  accumulate: bool, workspace: usize, rowBegin: i32, rowEnd: i32,
): void {
  const outPixels = windowOutH * windowOutW; // rows of C per image
  const firstImage = (rowBegin + outPixels - 1) / outPixels;
  rowBegin = firstImage * outPixels;
  rowEnd = min(((rowEnd + outPixels - 1) / outPixels) * outPixels, M);
  if (rowEnd <= rowBegin) return;
  const packedB = workspace;
  const packedA = packedB + packedBBytes(N, K);
  const edgeTile = packedA + packedABytes(M, K) + biasPanelBytes(N);
  const block = edgeTile + EDGE_TILE_BYTES; // the rows of C being computed, row stride strideBlock
  const strideBlock = <usize>min(((N + NR - 1) / NR) * NR, NC) * 4;
  const kcMax = depthPerBlock(K);
  const kBlocks = K > 0 ? (K + kcMax - 1) / kcMax : 1;
  // One block of op(B) (the convnet's kernelᵀ, 64 x 288): packed once for all rows.
  const packedOnce = N <= NC && kBlocks == 1;
  if (packedOnce) packB(packedB, b, ldb, transB, 0, N, 0, K);

  let image = firstImage; // the next image whose first row is still to come
  for (let i0 = rowBegin; i0 < rowEnd;) {
    const i1 = min((i0 / MC + 1) * MC, rowEnd);
    const mc = i1 - i0;
    // dx of an image starts from zero just before its first row is added in (while in cache).
    for (; !accumulate && image * outPixels < i1; image++) zeroFloats(imageX + <usize>image * imageBytes(), imageHeight * imageWidth * imageChannels);
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nc = min(NC, N - j0);
      for (let kb = 0; kb < kBlocks; kb++) {
        const k0 = kb * kcMax;
        const kc = min(kcMax, K - k0);
        if (!packedOnce) packB(packedB, b, ldb, transB, j0, nc, k0, kc);
        packA(packedA, a, lda, transA, i0, mc, k0, kc);
        multiplyBlock(packedA, packedB, mc, nc, kc, block, strideBlock, kb > 0, 0, false, edgeTile);
      }
      col2imBlock(block, strideBlock, i0, mc, j0, nc);
    }
    i0 = i1;
  }
}

/**
 * dx += col2im of a block of C: rows [i0, i0 + mc) (output pixels), columns [j0, j0 + nc) (taps
 * (ky, kx, c)), the block's row r at block + r · strideBlock. Row by row, in order; within a row a
 * tap's channels are contiguous in dx, and a whole window row is when it lies inside the image.
 */
function col2imBlock(block: usize, strideBlock: usize, i0: i32, mc: i32, j0: i32, nc: i32): void {
  const span = windowWidth * imageChannels; // floats of one window row
  const pixelBytes = <usize>imageChannels << 2;
  startTap(j0);
  const ky0 = tapRow, kx0 = tapColumn, c0 = tapChannel;
  startPixel(i0);
  for (let r = 0; r < mc; r++) {
    const image = pixelImage, iy0 = pixelY * windowStrideH - windowPadTop, ix0 = pixelX * windowStrideW - windowPadLeft;
    const rowInside = ix0 >= 0 && ix0 + windowWidth <= imageWidth;
    let src = block + <usize>r * strideBlock;
    tapRow = ky0;
    tapColumn = kx0;
    tapChannel = c0;
    for (let k = 0; k < nc;) {
      const iy = iy0 + tapRow, ix = ix0 + tapColumn;
      const rowUp = iy >= 0 && iy < imageHeight;
      if (rowInside && tapColumn == 0 && tapChannel == 0 && k + span <= nc) {
        // A whole window row, inside the image's width: one run of span floats.
        if (rowUp) addFloats(image + (<usize>iy * <usize>imageWidth + <usize>ix) * pixelBytes, src, span);
        src += <usize>span << 2;
        k += span;
        tapRow++;
        continue;
      }
      // One tap (or what of it is left in the block): its channels from tapChannel on.
      const run = min(imageChannels - tapChannel, nc - k);
      if (rowUp && ix >= 0 && ix < imageWidth) addFloats(image + (<usize>iy * <usize>imageWidth + <usize>ix) * pixelBytes + (<usize>tapChannel << 2), src, run);
      src += <usize>run << 2;
      k += run;
      tapChannel = 0;
      if (++tapColumn == windowWidth) {
        tapColumn = 0;
        tapRow++;
      }
    }
    nextPixel();
  }
}
