// examples/celsius-to-fahrenheit.ts — the single-Dense regression of the TensorFlow course
// ("our Celsius Fahrenheit network"): one neuron learns f = 1.8·c + 32 from seven examples, as in the
// TensorFlow course (Dense(units=1, input_shape=[1]), mean squared error, Adam(0.1), 500 epochs).

import { Dense, Sequential, optimizers, tensor } from '../index.js';

const celsius = tensor([-40, -10, 0, 8, 15, 22, 38], [7, 1]);
const fahrenheit = tensor([-40, 14, 32, 46, 59, 72, 100], [7, 1]);

const l0 = new Dense(1, { inputShape: [1] });
const model = new Sequential([l0]);
model.compile({ loss: 'mean_squared_error', optimizer: new optimizers.Adam({ learningRate: 0.1 }) });

const history = await model.fit(celsius, fahrenheit, { epochs: 500, verbose: 0 });
console.log('Finished training the model');
console.log(`Final loss: ${history.history.loss.at(-1)!.toFixed(4)}`);

console.log('100 °C is', model.predict(tensor([100], [1, 1])).item().toFixed(2), '°F (exact: 212)');
const [weight, bias] = l0.weights;
console.log(`These are the layer variables: weight ${weight.item().toFixed(4)} (exact 1.8), bias ${bias.item().toFixed(4)} (exact 32)`);
