// nn/namespaces/layers.ts — Keras' keras.layers: `import { layers } from 'wasmgrad'` then
// `new layers.Dense(10)`. The same classes as the flat exports; nothing here is new.

export { Layer, Dense, Activation, ReLU, Softmax, Dropout, Flatten } from '../layers/index.js';
export type { LayerOptions, DenseOptions, DropoutOptions, CallOptions } from '../layers/index.js';
