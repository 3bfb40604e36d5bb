// Types for scripts/relaxed-simd.mjs (imported by vitest.config.ts).
/** True when this process validates WebAssembly relaxed SIMD as it was started. */
export function relaxedSimdOn(): boolean;
/** The Node flags a child of this Node needs for relaxed SIMD: [] or ['--experimental-wasm-relaxed-simd']. */
export function relaxedSimdFlags(): string[];
