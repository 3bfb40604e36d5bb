// nn/namespaces/callbacks.ts — Keras' keras.callbacks: `new callbacks.EarlyStopping({ patience: 2 })`,
// or a class extending callbacks.Callback, passed to fit({ callbacks: [...] }).

export { Callback, History, EarlyStopping, LambdaCallback, TerminateOnNaN } from '../callbacks.js';
export type { CallbackLike, CallbackModel, EarlyStoppingOptions, Logs, MonitorName } from '../callbacks.js';
export { ModelCheckpoint } from '../checkpoint.js';
export type { ModelCheckpointOptions } from '../checkpoint.js';
export { ReduceLROnPlateau, LearningRateScheduler } from '../learning-rate.js';
export type { ReduceLROnPlateauOptions } from '../learning-rate.js';
export { CSVLogger } from '../csv-logger.js';
