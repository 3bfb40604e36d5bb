// nn/index.ts — the Keras-like face of wasmgrad: models, layers, losses and optimizers by name,
// callbacks, saving and utilities. Data sets (datasets/) and pictures (pictures/) are rooms of
// their own beside it; the root index.ts exports them with this.

export { Sequential } from './sequential.js';
export type { CompileOptions, FitOptions, EvaluateOptions, PredictOptions } from './sequential.js';
export { Layer, Dense, Activation, ReLU, Softmax, Dropout, Flatten, clearSession } from './layers/index.js';
export type { LayerOptions, CallOptions, ForwardStep, DenseOptions, DropoutOptions as DropoutLayerOptions } from './layers/index.js';
export { loadModel, loadModelFromArtifacts } from './models.js';
export { SavedModelError } from './saving/format.js';
export type { ModelArtifacts, ModelJson, LoadOptions, TensorEntry, SavedLayer } from './saving/format.js';
export { Callback, History, EarlyStopping } from './callbacks.js';
export type { CallbackLike, EarlyStoppingOptions, Logs } from './callbacks.js';
export { toCategorical } from './utils.js';
export { activationNames } from './activations.js';
export { lossNames } from './losses.js';
export * as optimizers from './optimizers.js';
