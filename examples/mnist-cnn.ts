// examples/mnist-cnn.ts — Keras' "Simple MNIST convnet" example, translated line by line, the
// Python beside each line. This is `npm run mnist:cnn`: Conv2D 32 3x3 relu, MaxPooling2D 2,
// Conv2D 64 3x3 relu, MaxPooling2D 2, Flatten, Dropout 0.5, Dense 10 softmax; Adam, batch 128,
// 15 epochs, 10% of the training samples held out for validation. Keras reports ~99% test accuracy.
//
// Options: `npm run mnist:cnn -- --seed 3 --epochs 15` (the seed of weights, shuffling and dropout).

import {
  Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D, Sequential, datasets, getBackend, getThreads, setSeed, toCategorical,
} from '../index.js';
import { backend } from '../kernels/index.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const seed = option('seed', 1);
setSeed(seed);
console.log(`wasmgrad backend: ${getBackend()} (${backend().description}), ${getThreads()} thread(s), seed ${seed}`);

// num_classes = 10
// input_shape = (28, 28, 1)
const numClasses = 10;
const inputShape = [28, 28, 1];

// (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
const [[xTrainImages, yTrainLabels], [xTestImages, yTestLabels]] = await datasets.mnist.loadData();

// x_train = x_train.astype("float32") / 255
// x_test = x_test.astype("float32") / 255
// x_train = np.expand_dims(x_train, -1)
// x_test = np.expand_dims(x_test, -1)
const xTrain = xTrainImages.reshape([60000, 28, 28, 1]).div(255);
const xTest = xTestImages.reshape([10000, 28, 28, 1]).div(255);
// print("x_train shape:", x_train.shape)
// print(x_train.shape[0], "train samples")
// print(x_test.shape[0], "test samples")
console.log('x_train shape:', xTrain.shape);
console.log(xTrain.shape[0], 'train samples');
console.log(xTest.shape[0], 'test samples');

// y_train = keras.utils.to_categorical(y_train, num_classes)
// y_test = keras.utils.to_categorical(y_test, num_classes)
const yTrain = toCategorical(yTrainLabels, numClasses);
const yTest = toCategorical(yTestLabels, numClasses);

// model = keras.Sequential(
//     [
//         keras.Input(shape=input_shape),
//         layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
//         layers.MaxPooling2D(pool_size=(2, 2)),
//         layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
//         layers.MaxPooling2D(pool_size=(2, 2)),
//         layers.Flatten(),
//         layers.Dropout(0.5),
//         layers.Dense(num_classes, activation="softmax"),
//     ]
// )
const model = new Sequential([
  new Input({ shape: inputShape }),
  new Conv2D(32, [3, 3], { activation: 'relu' }),
  new MaxPooling2D([2, 2]),
  new Conv2D(64, [3, 3], { activation: 'relu' }),
  new MaxPooling2D([2, 2]),
  new Flatten(),
  new Dropout(0.5),
  new Dense(numClasses, { activation: 'softmax' }),
]);
// model.summary()
model.summary();

// batch_size = 128
// epochs = 15
const batchSize = 128;
const epochs = option('epochs', 15);

// model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });

// model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)
const trainStarted = performance.now();
await model.fit(xTrain, yTrain, { batchSize, epochs, validationSplit: 0.1 });
const trainSeconds = (performance.now() - trainStarted) / 1000;

// score = model.evaluate(x_test, y_test, verbose=0)
// print("Test loss:", score[0])
// print("Test accuracy:", score[1])
const score = model.evaluate(xTest, yTest, { verbose: 0 });
console.log('Test loss:', score[0]);
console.log('Test accuracy:', score[1]);

const perEpoch = trainSeconds / epochs;
console.log(
  `Training took ${trainSeconds.toFixed(1)} s: ${perEpoch.toFixed(1)} s per epoch of 54,000 samples ` +
    `(${((perEpoch * 60000) / 54000).toFixed(1)} s per 60,000), validation included`,
);
