// nn/namespaces/utils.ts — Keras' keras.utils: `utils.toCategorical(y, 10)` (to_categorical),
// `utils.setRandomSeed(1)` (set_random_seed) and `utils.clearSession()` (clear_session).

export { toCategorical } from '../utils.js';
export { clearSession } from '../layers/index.js';
export { setSeed as setRandomSeed } from '../../engine/index.js';
