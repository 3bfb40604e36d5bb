// examples/mnist-mlp.ts — Keras' "Get started with your first Deep Learning project", the
// Keras MNIST MLP, translated line for line. This is `npm run mnist`, wasmgrad's main job:
// 784-512-512-10 with ReLU and Dropout 0.2, Adam, categorical cross-entropy, batch 128, 5 epochs.
// Writes pictures to out/: a grid of test digits with predictions, and the training history.

import {
  Activation, Dense, Dropout, Sequential, datasets, saveHistoryPlot, saveImageGrid, showImages, toCategorical,
} from '../index.js';
import { backend, getBackend } from '../kernels/index.js';

const started = performance.now();
console.log(`wasmgrad backend: ${getBackend()} (${backend().description})`);

// (X_train, y_train), (X_test, y_test) = mnist.load_data()
const [[xTrainImages, yTrain], [xTestImages, yTest]] = await datasets.mnist.loadData();

// Printing a few input images along with their respective class
console.log(showImages(xTrainImages, { count: 9, labels: yTrain }));

// X_train = X_train.reshape(60000, 784); X_train = X_train.astype('float32'); X_train /= 255
const XTrain = xTrainImages.reshape([60000, 784]).div(255);
const XTest = xTestImages.reshape([10000, 784]).div(255);
console.log('Training matrix shape', XTrain.shape);
console.log('Testing matrix shape', XTest.shape);

// Y_train = np_utils.to_categorical(y_train, no_classes)
const noClasses = 10;
const YTrain = toCategorical(yTrain, noClasses);
const YTest = toCategorical(yTest, noClasses);

const model = new Sequential();
model.add(new Dense(512, { inputShape: [784] }));
model.add(new Activation('relu'));
model.add(new Dropout(0.2));
model.add(new Dense(512));
model.add(new Activation('relu'));
model.add(new Dropout(0.2));
model.add(new Dense(10));
model.add(new Activation('softmax'));

model.summary();

model.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });

const trainStarted = performance.now();
const history = await model.fit(XTrain, YTrain, { batchSize: 128, epochs: 5, verbose: 1 });
const trainSeconds = (performance.now() - trainStarted) / 1000;

const score = model.evaluate(XTest, YTest);
console.log('Test score:', score[0]);
console.log('Test accuracy:', score[1]);

// Pictures: test digits with true and predicted labels, and loss/accuracy per epoch.
const predicted = model.predict(XTest.sliceRows(0, 36)).argmax();
await saveImageGrid('out/mnist-predictions.svg', xTestImages, { count: 36, labels: yTest, predicted, columns: 9 });
await saveHistoryPlot('out/mnist-history.svg', history);
console.log('Wrote out/mnist-predictions.svg and out/mnist-history.svg');
console.log(`Training took ${trainSeconds.toFixed(1)} s (${(trainSeconds / 5).toFixed(1)} s/epoch); whole run ${((performance.now() - started) / 1000).toFixed(1)} s`);
