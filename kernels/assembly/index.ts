// kernels/assembly/index.ts — the entry file that asc compiles into wasmgrad's one .wasm module
// (package.json's build:wasm, two builds: simd and relaxed). It only gathers the exports of the
// kernel files; it computes nothing itself.

export { gemm, gemmWorkspaceBytes, staticDataEnd } from './gemm';
export {
  adamUpdate, sgdUpdate, rmspropUpdate, dropoutForward, mulInto, reluBackward, columnSumsInto, fill, findNonFinite,
} from './elementwise';
export {
  im2col, col2imInto, conv2dForward, conv2dKernelGradInto, conv2dMaxPoolForward, conv2dMaxPoolKernelGradInto, addChunkSumsInto, maxPoolForward, maxPoolBackwardInto, maxPoolReluBackward, avgPoolForward, avgPoolBackwardInto,
  columnMeanVariance, columnScaleShift, columnCenteredSums, batchNormBackwardInto,
} from './conv';
