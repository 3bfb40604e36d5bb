// nn/index.ts — the Keras-like face of wasmgrad: models, layers, callbacks, saving, and Keras'
// namespaces (layers, optimizers, callbacks, metrics, losses, utils) beside the flat names Keras users also
// write. Data sets (datasets/) and pictures (pictures/) are rooms of their own beside it; the root
// index.ts exports them with this. Tensors and ops are the engine's ('wasmgrad/engine').

export { Sequential } from './sequential.js';
export type { CompileOptions, FitOptions, EvaluateOptions, PredictOptions } from './sequential.js';
export { Layer, Dense, Activation, ReLU, Softmax, Dropout, Flatten, clearSession } from './layers/index.js';
export type { LayerOptions, CallOptions, ForwardStep, DenseOptions, DropoutOptions as DropoutLayerOptions } from './layers/index.js';
export { loadModel, loadModelFromArtifacts } from './models.js';
export { SavedModelError } from './saving/format.js';
export type { ModelArtifacts, ModelJson, LoadOptions, TensorEntry, SavedLayer } from './saving/format.js';
export {
  Conv2D, MaxPooling2D, AveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling2D, BatchNormalization, Reshape, Input,
} from './layers/index.js';
export type { Conv2DOptions, Pooling2DOptions, GlobalPooling2DOptions, BatchNormalizationOptions, InputOptions } from './layers/index.js';
export type { SaveFormat, SaveOptions } from './saving/save.js';
export type { TfjsArtifacts } from './saving/tfjs.js';
export type { TfjsModelJson, TfjsWeightEntry, TfjsWeightGroup, KerasLayer } from '../formats/tfjs.js';
export { Callback, History, EarlyStopping, LambdaCallback, TerminateOnNaN } from './callbacks.js';
export type { CallbackLike, CallbackModel, EarlyStoppingOptions, Logs, MonitorName } from './callbacks.js';
export { ModelCheckpoint, checkpointPath } from './checkpoint.js';
export type { ModelCheckpointOptions } from './checkpoint.js';
export { ReduceLROnPlateau, LearningRateScheduler } from './learning-rate.js';
export type { ReduceLROnPlateauOptions } from './learning-rate.js';
export { CSVLogger } from './csv-logger.js';
export {
  Metric, Accuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall, AUC, MetricFunction, metricNames,
} from './metrics.js';
export type { MetricIdentifier, MetricLike, SavedMetric, BatchOutput } from './metrics.js';
export { toCategorical } from './utils.js';
export { activationNames } from './activations.js';
export type { ActivationIdentifier, ActivationName, CamelCase, Spelling } from './activations.js';
export type { LossIdentifier, LossName } from './losses.js';
export type { InitializerIdentifier, InitializerName } from './initializers.js';
export type { OptimizerIdentifier } from './optimizers.js';
export type { OutputStream } from './progress.js';
export * as layers from './namespaces/layers.js';
export * as optimizers from './namespaces/optimizers.js';
export * as callbacks from './namespaces/callbacks.js';
export * as metrics from './namespaces/metrics.js';
export * as losses from './namespaces/losses.js';
export * as utils from './namespaces/utils.js';
