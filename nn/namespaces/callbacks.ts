// nn/namespaces/callbacks.ts — Keras' keras.callbacks: `new callbacks.EarlyStopping({ patience: 2 })`,
// or a class extending callbacks.Callback, passed to fit({ callbacks: [...] }).

export { Callback, History, EarlyStopping } from '../callbacks.js';
export type { CallbackLike, CallbackModel, EarlyStoppingOptions, Logs } from '../callbacks.js';
