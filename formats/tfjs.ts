// formats/tfjs.ts — TensorFlow.js' Layers format (model.json + binary weight files), both ways, as
// pure functions between a neutral description of a Sequential model and TF.js' artifacts.
//
// It speaks two vocabularies, Keras' (class_name, batch_input_shape, use_bias, GlorotUniform...)
// and wasmgrad's layer configs (useBias, 'glorot_uniform'...), but knows none of wasmgrad's
// classes: nn/ turns a model into a ModelDescription and back. Not here: files (formats/tfjs-files.ts),
// TF.js graph models (converted SavedModels), functional models, Keras' .keras and HDF5 files.
//
// The spec is tfjs-core/src/io/types.ts (ModelJSON, WeightsManifestEntry). Weights are the values
// little-endian, in manifest order, concatenated across a group's paths (shards), group after group.

/** One layer in wasmgrad's terms: its class name and the config its getConfig() writes. */
export interface LayerDescription {
  className: string;
  config: Record<string, unknown>;
}

/** One weight tensor: its name ('dense/kernel'), shape and values. */
export interface WeightValues {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** A Sequential model without the classes: what both formats can hold. */
export interface ModelDescription {
  name: string;
  /** The sample shape (no batch dimension). */
  inputShape: number[];
  layers: LayerDescription[];
  /** In the model's order: layer after layer, each layer's weights in Keras' order (kernel, bias). */
  weights: WeightValues[];
}

/** One weight in the manifest (tfjs-core's WeightsManifestEntry). */
export interface TfjsWeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  /** 'optimizer' for a TF.js optimizer's slots, saved with includeOptimizer. */
  group?: 'model' | 'optimizer';
  /** Quantized weights (tensorflowjs_converter --quantize_*): stored as uint8, uint16 or float16. */
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

/** One weight group: its values are stored across `paths`, in order. */
export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightEntry[];
}

/** A Keras layer as model.json holds it. */
export interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

/** The contents of model.json in the Layers format (tfjs-core's ModelJSON, for layers models). */
export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string | null;
  modelTopology: {
    class_name: 'Sequential';
    config: { name: string; layers: KerasLayer[] };
    keras_version: string;
    backend: string;
  };
  weightsManifest: TfjsWeightGroup[];
}

/** A model.json that cannot be read: names the file and what is wrong. */
export class TfjsFormatError extends Error {
  override readonly name = 'TfjsFormatError';

  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`wasmgrad: ${file}: ${problem}`);
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// ---- initializers ---------------------------------------------------------------------------------
// They only matter for weights a layer creates itself; a loaded model's weights come from the file.
// Still, a Dense read from TF.js keeps its initializer names, so that saving it again round-trips.

const kerasInitializers: Record<string, KerasLayer> = {
  glorot_uniform: { class_name: 'GlorotUniform', config: { seed: null } },
  glorot_normal: { class_name: 'GlorotNormal', config: { seed: null } },
  he_uniform: { class_name: 'HeUniform', config: { seed: null } },
  he_normal: { class_name: 'HeNormal', config: { seed: null } },
  random_normal: { class_name: 'RandomNormal', config: { mean: 0, stddev: 0.05, seed: null } },
  random_uniform: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } },
  zeros: { class_name: 'Zeros', config: {} },
  ones: { class_name: 'Ones', config: {} },
};

function initializerToKeras(name: unknown): KerasLayer {
  const found = typeof name === 'string' ? kerasInitializers[name] : undefined;
  if (found === undefined) throw new Error(`no Keras initializer for ${show(name)}`);
  return structuredClone(found);
}

/** Keras' variance-scaling family by (scale, mode, distribution); TF.js writes Glorot this way. */
function varianceScalingName(config: Json): string | undefined {
  const normal = config.distribution === 'normal' || config.distribution === 'truncated_normal';
  const uniform = config.distribution === 'uniform';
  if (config.scale === 1 && config.mode === 'fan_avg') return uniform ? 'glorot_uniform' : normal ? 'glorot_normal' : undefined;
  if (config.scale === 2 && config.mode === 'fan_in') return uniform ? 'he_uniform' : normal ? 'he_normal' : undefined;
  return undefined;
}

function initializerFromKeras(value: unknown, what: string): string {
  if (typeof value === 'string') {
    const snake = value.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    if (Object.hasOwn(kerasInitializers, snake)) return snake;
  } else if (isObject(value) && typeof value.class_name === 'string') {
    const config = isObject(value.config) ? value.config : {};
    const byClass: Record<string, () => string | undefined> = {
      GlorotUniform: () => 'glorot_uniform',
      GlorotNormal: () => 'glorot_normal',
      HeUniform: () => 'he_uniform',
      HeNormal: () => 'he_normal',
      Zeros: () => 'zeros',
      Ones: () => 'ones',
      VarianceScaling: () => varianceScalingName(config),
      RandomNormal: () => ((config.mean ?? 0) === 0 && config.stddev === 0.05 ? 'random_normal' : undefined),
      RandomUniform: () => (config.minval === -0.05 && config.maxval === 0.05 ? 'random_uniform' : undefined),
    };
    const name = Object.hasOwn(byClass, value.class_name) ? byClass[value.class_name]() : undefined;
    if (name !== undefined) return name;
  }
  throw new Error(
    `${what} is ${show(value)}, which wasmgrad does not have; it has GlorotUniform, GlorotNormal, HeUniform, HeNormal, ` +
      `RandomNormal (stddev 0.05), RandomUniform (±0.05), Zeros and Ones`,
  );
}

// ---- layers, both ways ------------------------------------------------------------------------------

/** Keras' dtype: 'float32', or Keras 3's policy object { class_name: 'DTypePolicy', config: { name } }. */
function dtypeName(value: unknown): unknown {
  if (isObject(value) && isObject(value.config)) return value.config.name;
  return value;
}

/** Refuses a Keras option whose value would change what the layer computes or how it trains. */
function requireNeutral(config: Json, key: string, neutral: readonly unknown[], meaning: string): void {
  const value = config[key];
  if (value !== undefined && !neutral.some((n) => n === value)) {
    throw new Error(`it sets ${key} to ${show(value)} (${meaning}), which wasmgrad does not support`);
  }
}

interface LayerRule {
  /** Our config → Keras' (name, trainable and the input shape are added around it). */
  toKeras(config: Json): Json;
  /** Keras' config → ours; throws (with a plain reason) on what we cannot represent. */
  fromKeras(config: Json, sampleRank: number): Json;
  /** The weight names in Keras' order, for the Keras config. */
  weights(config: Json): string[];
  /** The sample rank after the layer. */
  outputRank(config: Json, sampleRank: number): number;
}

const sameRank = (_config: Json, rank: number): number => rank;

// Dense and Conv2D share their kernel-and-bias options: activation, use_bias, two initializers,
// and the regularizers and constraints wasmgrad does not have.

function kernelToKeras(c: Json): Json {
  return {
    activation: c.activation ?? 'linear',
    use_bias: c.useBias ?? true,
    kernel_initializer: initializerToKeras(c.kernelInitializer ?? 'glorot_uniform'),
    bias_initializer: initializerToKeras(c.biasInitializer ?? 'zeros'),
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}

function kernelFromKeras(c: Json): Json {
  for (const key of ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer']) requireNeutral(c, key, [null], 'a regularizer');
  for (const key of ['kernel_constraint', 'bias_constraint']) requireNeutral(c, key, [null], 'a constraint');
  return {
    activation: c.activation ?? 'linear',
    useBias: c.use_bias ?? true,
    kernelInitializer: c.kernel_initializer === undefined ? undefined : initializerFromKeras(c.kernel_initializer, 'kernel_initializer'),
    biasInitializer: c.bias_initializer === undefined ? undefined : initializerFromKeras(c.bias_initializer, 'bias_initializer'),
  };
}

const kernelWeights = (c: Json): string[] => (c.use_bias === false ? ['kernel'] : ['kernel', 'bias']);

const coreRules: Record<string, LayerRule> = {
  Dense: {
    toKeras: (c) => ({ units: c.units, ...kernelToKeras(c) }),
    fromKeras: (c) => {
      requireNeutral(c, 'lora_rank', [null], 'LoRA');
      return { units: c.units, ...kernelFromKeras(c) };
    },
    weights: kernelWeights,
    outputRank: sameRank,
  },
  Activation: {
    toKeras: (c) => ({ activation: c.activation }),
    fromKeras: (c) => ({ activation: c.activation }),
    weights: () => [],
    outputRank: sameRank,
  },
  ReLU: {
    toKeras: () => ({ max_value: null }),
    fromKeras: (c) => {
      requireNeutral(c, 'max_value', [null], 'a capped ReLU');
      requireNeutral(c, 'negative_slope', [0], 'a leaky ReLU');
      requireNeutral(c, 'threshold', [0], 'a thresholded ReLU');
      return {};
    },
    weights: () => [],
    outputRank: sameRank,
  },
  Softmax: {
    toKeras: () => ({ axis: -1 }),
    fromKeras: (c, rank) => {
      // TF.js writes axis 1 (its default) and Keras -1; both mean the last axis of a [batch, n] input.
      if (c.axis !== undefined && c.axis !== -1 && c.axis !== rank) {
        throw new Error(`it sets axis to ${show(c.axis)}; wasmgrad's Softmax works over the last axis only (-1, or ${rank} here)`);
      }
      return {};
    },
    weights: () => [],
    outputRank: sameRank,
  },
  Dropout: {
    toKeras: (c) => ({ rate: c.rate, noise_shape: null, seed: c.seed ?? null }),
    fromKeras: (c) => {
      requireNeutral(c, 'noise_shape', [null], 'a shared dropout mask');
      return { rate: c.rate, seed: c.seed ?? undefined };
    },
    weights: () => [],
    outputRank: sameRank,
  },
  Flatten: {
    toKeras: () => ({ data_format: 'channels_last' }),
    fromKeras: (c) => {
      requireNeutral(c, 'data_format', [null, 'channels_last'], 'channels-first order');
      return {};
    },
    weights: () => [],
    outputRank: () => 1,
  },
};

// ---- the convnet layers ----

/** Keras writes a size as 3 or [3, 3]; ours is always the pair. */
function pair(value: unknown, what: string): unknown {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2) return [...value];
  if (value === undefined || value === null) return undefined;
  throw new Error(`expected ${what} to be a number or a pair of numbers, got ${show(value)}`);
}

function requireChannelsLast(c: Json): void {
  requireNeutral(c, 'data_format', [null, 'channels_last'], 'channels-first images');
}

const rankOf3 = (): number => 3;

const poolingRule: LayerRule = {
  toKeras: (c) => ({ pool_size: c.poolSize, strides: c.strides ?? null, padding: c.padding ?? 'valid', data_format: 'channels_last' }),
  fromKeras: (c) => {
    requireChannelsLast(c);
    return { poolSize: pair(c.pool_size, 'pool_size'), strides: pair(c.strides, 'strides'), padding: c.padding };
  },
  weights: () => [],
  outputRank: rankOf3,
};

const globalPoolingRule: LayerRule = {
  toKeras: () => ({ data_format: 'channels_last' }),
  fromKeras: (c) => {
    requireChannelsLast(c);
    requireNeutral(c, 'keepdims', [false], 'kept spatial axes');
    return {};
  },
  weights: () => [],
  outputRank: () => 1,
};

const convnetRules: Record<string, LayerRule> = {
  Conv2D: {
    toKeras: (c) => ({
      filters: c.filters,
      kernel_size: c.kernelSize,
      strides: c.strides ?? [1, 1],
      padding: c.padding ?? 'valid',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      ...kernelToKeras(c),
    }),
    fromKeras: (c) => {
      requireChannelsLast(c);
      const dilation = pair(c.dilation_rate, 'dilation_rate') as number[] | undefined;
      if (dilation !== undefined && (dilation[0] !== 1 || dilation[1] !== 1)) throw new Error(`it sets dilation_rate to ${show(c.dilation_rate)} (a dilated convolution), which wasmgrad does not support`);
      requireNeutral(c, 'groups', [1], 'a grouped convolution');
      return {
        filters: c.filters,
        kernelSize: pair(c.kernel_size, 'kernel_size'),
        strides: pair(c.strides, 'strides'),
        padding: c.padding,
        ...kernelFromKeras(c),
      };
    },
    weights: kernelWeights,
    outputRank: rankOf3,
  },
  MaxPooling2D: poolingRule,
  AveragePooling2D: poolingRule,
  GlobalMaxPooling2D: globalPoolingRule,
  GlobalAveragePooling2D: globalPoolingRule,
  BatchNormalization: {
    toKeras: (c) => ({
      axis: -1,
      momentum: c.momentum ?? 0.99,
      epsilon: c.epsilon ?? 1e-3,
      center: c.center ?? true,
      scale: c.scale ?? true,
      beta_initializer: initializerToKeras(c.betaInitializer ?? 'zeros'),
      gamma_initializer: initializerToKeras(c.gammaInitializer ?? 'ones'),
      moving_mean_initializer: initializerToKeras(c.movingMeanInitializer ?? 'zeros'),
      moving_variance_initializer: initializerToKeras(c.movingVarianceInitializer ?? 'ones'),
      beta_regularizer: null,
      gamma_regularizer: null,
      beta_constraint: null,
      gamma_constraint: null,
    }),
    fromKeras: (c, rank) => {
      const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : c.axis;
      if (axis !== undefined && axis !== -1 && axis !== rank) {
        throw new Error(`it normalizes over axis ${show(c.axis)}; wasmgrad's BatchNormalization works over the last axis (the channels: -1, or ${rank} here)`);
      }
      for (const key of ['beta_regularizer', 'gamma_regularizer']) requireNeutral(c, key, [null], 'a regularizer');
      for (const key of ['beta_constraint', 'gamma_constraint']) requireNeutral(c, key, [null], 'a constraint');
      requireNeutral(c, 'renorm', [false], 'batch renormalization');
      requireNeutral(c, 'synchronized', [false], 'synchronized statistics');
      const init = (key: string) => (c[key] === undefined ? undefined : initializerFromKeras(c[key], key));
      return {
        axis: -1, momentum: c.momentum, epsilon: c.epsilon, center: c.center ?? true, scale: c.scale ?? true,
        betaInitializer: init('beta_initializer'), gammaInitializer: init('gamma_initializer'),
        movingMeanInitializer: init('moving_mean_initializer'), movingVarianceInitializer: init('moving_variance_initializer'),
      };
    },
    weights: (c) => [...(c.scale === false ? [] : ['gamma']), ...(c.center === false ? [] : ['beta']), 'moving_mean', 'moving_variance'],
    outputRank: sameRank,
  },
  Reshape: {
    toKeras: (c) => ({ target_shape: c.targetShape }),
    fromKeras: (c) => ({ targetShape: Array.isArray(c.target_shape) ? [...c.target_shape] : c.target_shape }),
    weights: () => [],
    outputRank: (c: Json) => (Array.isArray(c.target_shape) ? c.target_shape.length : 0),
  },
};

const layerRules: Record<string, LayerRule> = { ...coreRules, ...convnetRules };

/** The Keras class names this module translates. */
export const tfjsLayerClassNames: readonly string[] = Object.keys(layerRules);

function layerToKeras(layer: LayerDescription, index: number, inputShape: readonly number[]): KerasLayer {
  const rule = Object.hasOwn(layerRules, layer.className) ? layerRules[layer.className] : undefined;
  if (rule === undefined) {
    throw new Error(
      `wasmgrad: cannot save layer ${index} ('${String(layer.config.name)}', a ${layer.className}) in TensorFlow.js' format; it knows ${tfjsLayerClassNames.join(', ')}`,
    );
  }
  const config: Json = { ...rule.toKeras(layer.config), name: layer.config.name, trainable: true };
  // TF.js reads the input shape from the first layer, spelt batch_input_shape (Keras 3's
  // batch_shape breaks it: tfjs issue 8328).
  if (index === 0) Object.assign(config, { batch_input_shape: [null, ...inputShape], dtype: 'float32' });
  return { class_name: layer.className, config };
}

// ---- float32 <-> bytes ------------------------------------------------------------------------------

const hostIsLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** IEEE half precision → float: sign, 5-bit exponent, 10-bit fraction. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

// ---- writing ------------------------------------------------------------------------------------------

/**
 * What toTfjs writes next to model.json: one group in one file, named as TF.js' own Node file
 * handler names it (the converter's 'group1-shard1of1.bin' is as good; the manifest says which).
 */
export const TFJS_WEIGHTS_FILE = 'weights.bin';

/**
 * A model in TensorFlow.js' Layers format: model.json's object and the bytes of its one weight
 * file (TFJS_WEIGHTS_FILE). tf.loadLayersModel reads them as TF.js itself wrote them.
 */
export function toTfjs(model: ModelDescription, generatedBy: string): { modelJson: TfjsModelJson; weightData: Uint8Array } {
  // An input layer only says the sample shape, which the first real layer's batch_input_shape carries.
  const layers = model.layers.filter((layer, i) => !(i === 0 && layer.className === 'InputLayer')).map((layer, i) => layerToKeras(layer, i, model.inputShape));
  const byteLength = model.weights.reduce((n, w) => n + 4 * w.values.length, 0);
  const weightData = new Uint8Array(byteLength);
  const view = new DataView(weightData.buffer);
  let at = 0;
  for (const { values } of model.weights) {
    if (hostIsLittleEndian) weightData.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
    else for (let i = 0; i < values.length; i++) view.setFloat32(at + 4 * i, values[i], true);
    at += values.byteLength;
  }
  const modelJson: TfjsModelJson = {
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { name: model.name, layers }, keras_version: generatedBy, backend: 'wasmgrad' },
    weightsManifest: [{
      paths: [TFJS_WEIGHTS_FILE],
      weights: model.weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' as const })),
    }],
  };
  return { modelJson, weightData };
}

// ---- reading ------------------------------------------------------------------------------------------

/** Bytes per stored element, by the dtype on disk. */
const storedBytes: Record<string, number> = { float32: 4, uint16: 2, float16: 2, uint8: 1, int32: 4, bool: 1, complex64: 8 };

/** A checked model.json: the model without weight values, and where each weight's bytes are. */
export interface TfjsPlan {
  model: Omit<ModelDescription, 'weights'>;
  /** Each group's paths and the bytes its files must hold together, in manifest order. */
  groups: { paths: string[]; byteLength: number }[];
  /** The weights the model needs, in its order, and where their bytes are. */
  weights: { name: string; shape: number[]; group: number; byteOffset: number; stored: 'float32' | 'uint16' | 'float16' | 'uint8'; scale: number; min: number }[];
}

/** Keras' batch shape → our sample shape; every dimension but the batch must be known. */
function sampleShapeOf(batchShape: unknown, what: string): number[] {
  if (!Array.isArray(batchShape) || batchShape.length < 2) throw new Error(`expected ${what} to be [null, ...sample dimensions], got ${show(batchShape)}`);
  const sample = batchShape.slice(1);
  if (!sample.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`expected ${what} to have known sample dimensions (positive integers after the batch), got ${show(batchShape)}`);
  }
  return sample as number[];
}

/** The layer's batch shape, by whichever name its writer used (TF.js and Keras 2, or Keras 3). */
function batchShapeOf(config: Json): { value: unknown; key: string } | undefined {
  for (const key of ['batch_input_shape', 'batch_shape']) if (config[key] !== undefined && config[key] !== null) return { value: config[key], key };
  return undefined;
}

/**
 * Checks a Layers-format model.json and translates its topology into wasmgrad's layer configs.
 * Nothing is read beyond the JSON: the plan says which files must hold how many bytes, so the
 * caller can check their sizes before reading any of them.
 */
export function planTfjs(value: unknown, file = 'model.json'): TfjsPlan {
  const fail = (problem: string): never => {
    throw new TfjsFormatError(file, problem);
  };
  if (!isObject(value)) return fail(`expected a JSON object, got ${show(value)}`);
  if (value.format === 'graph-model') {
    return fail(`is a TensorFlow.js graph model (converted from a SavedModel or a frozen graph); wasmgrad reads layers models only (format "layers-model")`);
  }
  if (value.format !== undefined && value.format !== 'layers-model') return fail(`expected format "layers-model", got ${show(value.format)}`);
  let topology = value.modelTopology;
  // tensorflowjs_converter writes Keras' HDF5 attributes: { model_config, training_config, ... }.
  if (isObject(topology) && isObject(topology.model_config)) topology = topology.model_config;
  if (!isObject(topology)) return fail(`expected "modelTopology" to be an object, got ${show(topology)}`);
  if (topology.class_name !== 'Sequential') {
    return fail(`holds a ${show(topology.class_name)} model; wasmgrad reads Sequential models only (a stack of layers with one input and one output)`);
  }
  const config = topology.config;
  // Early Keras wrote a Sequential's config as the bare list of layers.
  const layerList = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(layerList) || layerList.length === 0) return fail(`expected modelTopology.config.layers to be a non-empty list, got ${show(layerList)}`);
  const name = isObject(config) && typeof config.name === 'string' && config.name !== '' ? config.name : 'sequential';

  let inputShape: number[] | null = null;
  const layers: LayerDescription[] = [];
  const needed: { name: string; layer: string; index: number }[] = [];
  let rank = 0;
  layerList.forEach((entry: unknown, i) => {
    const where = `layer ${i}`;
    if (!isObject(entry) || typeof entry.class_name !== 'string' || !isObject(entry.config)) {
      return fail(`expected ${where} to be { class_name, config }, got ${show(entry)}`);
    }
    const c = entry.config;
    const label = `${where} (${entry.class_name} ${show(c.name)})`;
    const batchShape = batchShapeOf(c);
    try {
      if (inputShape === null) {
        const given = batchShape ?? (isObject(config) && config.build_input_shape != null ? { value: config.build_input_shape, key: 'build_input_shape' } : undefined);
        if (given === undefined) throw new Error('the first layer has no batch_input_shape, so the input shape is unknown');
        inputShape = sampleShapeOf(given.value, given.key);
        rank = inputShape.length;
      }
      if (entry.class_name === 'InputLayer') {
        if (i !== 0) throw new Error('an InputLayer can only come first');
        requireNeutral(c, 'sparse', [false, null], 'sparse inputs');
        requireNeutral(c, 'ragged', [false, null], 'ragged inputs');
        return;
      }
      const rule = Object.hasOwn(layerRules, entry.class_name) ? layerRules[entry.class_name] : undefined;
      if (rule === undefined) {
        throw new Error(`wasmgrad has no ${entry.class_name} layer; it reads ${['InputLayer', ...tfjsLayerClassNames].join(', ')}`);
      }
      if (typeof c.name !== 'string' || c.name === '') throw new Error(`expected a non-empty name, got ${show(c.name)}`);
      const dtype = dtypeName(c.dtype);
      if (dtype !== undefined && dtype !== null && dtype !== 'float32') throw new Error(`its dtype is ${show(dtype)}; wasmgrad computes in float32 only`);
      requireNeutral(c, 'trainable', [true], 'a frozen layer');
      const ours: Json = { name: c.name, ...rule.fromKeras(c, rank) };
      for (const key of Object.keys(ours)) if (ours[key] === undefined) delete ours[key];
      layers.push({ className: entry.class_name, config: ours });
      rule.weights(c).forEach((weight, index) => needed.push({ name: `${c.name}/${weight}`, layer: c.name as string, index }));
      rank = rule.outputRank(c, rank);
    } catch (error) {
      if (error instanceof TfjsFormatError) throw error;
      fail(`${label} cannot be read: ${(error as Error).message}`);
    }
  });
  if (layers.length === 0) return fail('holds only an InputLayer; expected at least one layer after it');

  // The manifest: sizes first, so that nothing is read for a manifest that cannot be right.
  const manifest = value.weightsManifest;
  if (!Array.isArray(manifest)) return fail(`expected "weightsManifest" to be a list of { paths, weights }, got ${show(manifest)}`);
  const groups: TfjsPlan['groups'] = [];
  const found = new Map<string, TfjsPlan['weights'][number]>();
  manifest.forEach((group: unknown, g) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      return fail(`expected weightsManifest[${g}] to be { paths, weights }, got ${show(group)}`);
    }
    if (group.paths.length === 0 || !group.paths.every((p) => typeof p === 'string' && p !== '')) {
      return fail(`expected weightsManifest[${g}].paths to be a non-empty list of file names, got ${show(group.paths)}`);
    }
    let at = 0;
    group.weights.forEach((entry: unknown, k) => {
      const what = `weightsManifest[${g}].weights[${k}]`;
      if (!isObject(entry) || typeof entry.name !== 'string' || !Array.isArray(entry.shape) || !entry.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        return fail(`expected ${what} to be { name, shape, dtype }, got ${show(entry)}`);
      }
      const quantization = entry.quantization;
      let stored: string;
      let scale = 1, min = 0;
      if (quantization !== undefined) {
        if (!isObject(quantization) || !['uint8', 'uint16', 'float16'].includes(quantization.dtype as string)) {
          return fail(`${what} ('${entry.name}') has quantization ${show(quantization)}; expected dtype uint8, uint16 or float16`);
        }
        stored = quantization.dtype as string;
        if (stored !== 'float16') {
          if (typeof quantization.scale !== 'number' || typeof quantization.min !== 'number' || !Number.isFinite(quantization.scale) || !Number.isFinite(quantization.min)) {
            return fail(`${what} ('${entry.name}') is quantized to ${stored} without a finite scale and min, got ${show(quantization)}`);
          }
          scale = quantization.scale;
          min = quantization.min;
        }
      } else if (entry.dtype === 'float32' || (entry.group === 'optimizer' && Object.hasOwn(storedBytes, entry.dtype as string))) {
        // An optimizer's slots are skipped, but their bytes still count: Adam's 'iter' is an int32.
        stored = entry.dtype as string;
      } else {
        return fail(`${what} ('${entry.name}') has dtype ${show(entry.dtype)}; wasmgrad's layers hold float32 weights only`);
      }
      const count = (entry.shape as number[]).reduce((a, b) => a * b, 1);
      const bytes = count * storedBytes[stored];
      if (!Number.isSafeInteger(at + bytes)) return fail(`${what} ('${entry.name}') makes the weights larger than any file can be`);
      if (entry.group !== 'optimizer') {
        const key = entry.name.replace(/:0$/, '');
        if (found.has(key)) return fail(`the manifest lists the weight '${key}' twice`);
        found.set(key, { name: key, shape: entry.shape as number[], group: g, byteOffset: at, stored: stored as 'float32', scale, min });
      }
      at += bytes;
    });
    groups.push({ paths: group.paths as string[], byteLength: at });
  });

  // Match the weights the layers need with the manifest's, by name. Writers spell them
  // 'dense/kernel' (TF.js, Keras 2), 'sequential/dense/kernel' or 'dense/cell/kernel' (TF 2.x
  // prefixes and cell names), or 'dense/vars/0' (Keras 3): the same rules TF.js' loadWeights follows.
  const unused = new Set(found.keys());
  const weights = needed.map(({ name: wanted, layer, index }) => {
    const candidates = [...unused].filter((n) => {
      const tokens = n.split('/');
      return n === wanted || n.endsWith(`/${wanted}`) || [...tokens.slice(0, -2), tokens[tokens.length - 1]].join('/') === wanted || n === `${layer}/vars/${index}`;
    });
    if (candidates.length !== 1) {
      return fail(
        candidates.length === 0
          ? `layer '${layer}' needs the weight '${wanted}', which the manifest does not list (it lists ${[...found.keys()].map((n) => `'${n}'`).join(', ') || 'no weights'})`
          : `layer '${layer}' needs the weight '${wanted}', which several manifest entries could be (${candidates.join(', ')})`,
      );
    }
    unused.delete(candidates[0]);
    return { ...found.get(candidates[0])!, name: wanted };
  });
  if (unused.size > 0) {
    return fail(`the manifest lists weights no layer has: ${[...unused].map((n) => `'${n}'`).join(', ')}`);
  }
  return { model: { name, inputShape: inputShape!, layers }, groups, weights };
}

/**
 * The weight values, given each group's bytes (its files concatenated in order). The sizes must
 * be exactly those of plan.groups; a float16 or quantized weight comes back as float32.
 */
export function readTfjsWeights(plan: TfjsPlan, groupBytes: readonly Uint8Array[], file = 'the weight files'): WeightValues[] {
  plan.groups.forEach((group, g) => {
    const got = groupBytes[g]?.byteLength;
    if (got !== group.byteLength) {
      throw new TfjsFormatError(
        group.paths.join(', ') || file,
        `holds ${got ?? 'no'} bytes, but the manifest's weights take ${group.byteLength}${got !== undefined && got < group.byteLength ? ' (truncated?)' : ''}`,
      );
    }
  });
  return plan.weights.map((w) => {
    const bytes = groupBytes[w.group];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = w.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    const at = w.byteOffset;
    if (w.stored === 'float32') {
      if (hostIsLittleEndian) new Uint8Array(values.buffer).set(bytes.subarray(at, at + 4 * count));
      else for (let i = 0; i < count; i++) values[i] = view.getFloat32(at + 4 * i, true);
    } else if (w.stored === 'float16') {
      for (let i = 0; i < count; i++) values[i] = halfToFloat(view.getUint16(at + 2 * i, true));
    } else if (w.stored === 'uint16') {
      for (let i = 0; i < count; i++) values[i] = view.getUint16(at + 2 * i, true) * w.scale + w.min;
    } else {
      for (let i = 0; i < count; i++) values[i] = bytes[at + i] * w.scale + w.min;
    }
    return { name: w.name, shape: [...w.shape], values };
  });
}
