// examples/mnist-flatten.ts — "Creating a Neural Network for Handwritten Digits
// Recognition": both of its Keras models, translated line for line. The first flattens 28x28
// images and uses Dense(..., activation='relu'); the "improved" one uses ReLU layers.
// The tutorial only specifies, compiles and summarizes; we also train each for one epoch and test it.

import { Dense, Dropout, Flatten, ReLU, Sequential, datasets } from '../index.js';

const [[xTrain, yTrain], [xTest, yTest]] = await datasets.mnist.loadData();
const XTrain = xTrain.div(255);
const XTest = xTest.div(255);

// Sample code for specifying the neural network model in Keras
const model = new Sequential();
model.add(new Flatten({ inputShape: [28, 28] }));
model.add(new Dense(512, { activation: 'relu' }));
model.add(new Dropout(0.2));
model.add(new Dense(512, { activation: 'relu' }));
model.add(new Dropout(0.2));
model.add(new Dense(10, { activation: 'softmax' }));

// Compile the model
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });

// Print model summary
model.summary();

// Sample code for improving the neural network model
const improvedModel = new Sequential();
improvedModel.add(new Flatten({ inputShape: [28, 28] }));
improvedModel.add(new ReLU());
improvedModel.add(new Dropout(0.2));
improvedModel.add(new Dense(512));
improvedModel.add(new ReLU());
improvedModel.add(new Dropout(0.2));
improvedModel.add(new Dense(10, { activation: 'softmax' }));

// Compile the improved model
improvedModel.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });

// Print improved model summary
improvedModel.summary();

for (const [name, m] of [['model', model], ['improved_model', improvedModel]] as const) {
  const started = performance.now();
  await m.fit(XTrain, yTrain, { batchSize: 128, epochs: 1, verbose: 2 });
  const [loss, accuracy] = m.evaluate(XTest, yTest, { verbose: 0 });
  console.log(`${name}: test loss ${loss.toFixed(4)}, test accuracy ${accuracy.toFixed(4)} after 1 epoch (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
