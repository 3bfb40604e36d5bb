// nn/namespaces/layers.ts — Keras' keras.layers: `import { layers } from 'wasmgrad'` then
// `new layers.Dense(10)`. The same classes as the flat exports; nothing here is new.

export { Layer, Dense, Activation, ReLU, Softmax, Dropout, Flatten } from '../layers/index.js';
export type { LayerOptions, DenseOptions, DropoutOptions, CallOptions } from '../layers/index.js';
export {
  Conv2D, MaxPooling2D, AveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling2D, BatchNormalization, Reshape, Input,
} from '../layers/index.js';
export type { Conv2DOptions, Pooling2DOptions, GlobalPooling2DOptions, BatchNormalizationOptions, InputOptions } from '../layers/index.js';
