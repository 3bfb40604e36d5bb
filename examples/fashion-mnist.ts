// examples/fashion-mnist.ts — "Machine Learning - Deep Neural Network", the
// Fashion-MNIST classifier of the TensorFlow course: Flatten 28x28 → Dense 128 relu → Dense 10
// softmax, trained 10 epochs with Adam at batch 32, as the course does. Fashion-MNIST comes from
// Debian's dataset-fashion-mnist package when installed (scripts/install-datasets.sh).

import { Dense, Flatten, Sequential, datasets, saveImageGrid } from '../index.js';

const started = performance.now();
const [[trainImages, trainLabels], [testImages, testLabels]] = await datasets.fashionMnist.loadData();
const classNames = datasets.fashionMnist.classNames;

// Pixel values 0-255 → 0-1
const XTrain = trainImages.div(255);
const XTest = testImages.div(255);

const model = new Sequential([
  new Flatten({ inputShape: [28, 28] }),
  new Dense(128, { activation: 'relu' }),
  new Dense(10, { activation: 'softmax' }),
]);

model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
model.summary();

await model.fit(XTrain, trainLabels, { epochs: 10, batchSize: 32 });

const [testLoss, testAccuracy] = model.evaluate(XTest, testLabels);
console.log('Accuracy on test dataset:', testAccuracy);

// The model's probabilities for one image: "the highest score is given to the shirt label..."
const probabilities = model.predict(XTest.sliceRows(0, 1));
const best = probabilities.argmax().item();
console.log(`First test image: predicted ${classNames[best]} with probability ${probabilities.data[best].toFixed(2)}; truly ${classNames[testLabels.data[0]]}`);

const predicted = model.predict(XTest.sliceRows(0, 25)).argmax();
await saveImageGrid('out/fashion-predictions.svg', testImages, { count: 25, labels: testLabels, predicted, classNames: [...classNames] });
console.log(`Wrote out/fashion-predictions.svg. Test loss ${testLoss.toFixed(4)}. Whole run ${((performance.now() - started) / 1000).toFixed(1)} s`);
