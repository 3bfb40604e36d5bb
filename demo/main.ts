// demo/main.ts — the demo page: starts the training Worker (demo/train-worker.ts) and draws what
// it reports: progress, loss and accuracy curves, the test-digit grid, the first layer's weights,
// and the ten probabilities of a digit drawn on the canvas. It never imports wasmgrad itself: all
// computing happens in the Worker, so the page stays responsive while the model trains.

import { mnistPixels } from './digit.js';
import { GRID_DIGITS, type FromWorker, type ModelName, type ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const root = document.documentElement;

// The Worker is its own bundle (esbuild builds demo/train-worker.ts beside this file).
const worker = new Worker(new URL('./train-worker.js', document.currentScript instanceof HTMLScriptElement ? document.currentScript.src : location.href));
const send = (message: ToWorker, transfer: Transferable[] = []) => worker.postMessage(message, { transfer });

// ---- curves ------------------------------------------------------------------------------------

interface Series {
  steps: { x: number; y: number }[];
  epochs: { x: number; y: number }[];
}
const loss: Series = { steps: [], epochs: [] };
const accuracy: Series = { steps: [], epochs: [] };
let totalSteps = 1;

function drawChart(canvas: HTMLCanvasElement, series: Series, yMax: number, yMin = 0): void {
  const context = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const pad = 28;
  context.clearRect(0, 0, width, height);
  context.strokeStyle = '#bbb';
  context.fillStyle = '#555';
  context.font = '11px system-ui';
  context.strokeRect(pad, 4, width - pad - 4, height - pad);
  for (const v of [yMin, (yMin + yMax) / 2, yMax]) {
    const y = 4 + (height - pad) * (1 - (v - yMin) / (yMax - yMin));
    context.fillText(v.toFixed(yMax <= 1 ? 2 : 1), 0, y + 4);
  }
  context.fillText(`step (${totalSteps} in all)`, width / 2 - 30, height - 8);
  const px = (x: number) => pad + ((width - pad - 4) * x) / totalSteps;
  const py = (y: number) => 4 + (height - pad) * (1 - (Math.min(Math.max(y, yMin), yMax) - yMin) / (yMax - yMin));
  context.strokeStyle = '#2b6cb0';
  context.lineWidth = 1.5;
  context.beginPath();
  series.steps.forEach((p, i) => (i === 0 ? context.moveTo(px(p.x), py(p.y)) : context.lineTo(px(p.x), py(p.y))));
  context.stroke();
  context.fillStyle = '#c05621';
  for (const p of series.epochs) {
    context.beginPath();
    context.arc(px(p.x), py(p.y), 4, 0, 2 * Math.PI);
    context.fill();
  }
}

function drawCharts(): void {
  drawChart($('loss-chart'), loss, Math.max(0.5, ...loss.steps.slice(0, 3).map((p) => p.y)));
  // From 0.8 once the model is there (the MLP soon is), so the last percent shows; from 0 until then.
  const latest = accuracy.steps.at(-1)?.y ?? 1;
  drawChart($('accuracy-chart'), accuracy, 1, latest >= 0.85 ? 0.8 : 0);
}

// ---- the test-digit grid and the weights --------------------------------------------------------

let gridImages: Uint8Array | null = null;
let gridLabels: Uint8Array | null = null;

/** Puts one size x size picture at (x, y), scaled by `zoom`, from values mapped to RGB by `color`. */
function drawPicture(context: CanvasRenderingContext2D, values: ArrayLike<number>, offset: number, x: number, y: number, zoom: number, color: (v: number) => [number, number, number], size = 28): void {
  const image = context.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const [r, g, b] = color(values[offset + i]!);
    image.data.set([r, g, b, 255], i * 4);
  }
  const tile = document.createElement('canvas');
  tile.width = tile.height = size;
  tile.getContext('2d')!.putImageData(image, 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(tile, x, y, size * zoom, size * zoom);
}

function drawGrid(predictions: Uint8Array | null): void {
  if (gridImages === null || gridLabels === null) return;
  const canvas = $<HTMLCanvasElement>('test-grid');
  const context = canvas.getContext('2d')!;
  context.clearRect(0, 0, canvas.width, canvas.height);
  const columns = 12, cell = 32;
  let mistakes = 0;
  for (let k = 0; k < GRID_DIGITS; k++) {
    const x = (k % columns) * cell, y = Math.floor(k / columns) * (cell + 28);
    drawPicture(context, gridImages, k * 784, x + 2, y, 1, (v) => [255 - v, 255 - v, 255 - v]);
    context.font = '12px system-ui';
    if (predictions === null) {
      context.fillStyle = '#555';
      context.fillText(`${gridLabels[k]}`, x + 12, y + 42);
    } else {
      const wrong = predictions[k] !== gridLabels[k];
      if (wrong) mistakes++;
      context.fillStyle = wrong ? '#c53030' : '#2f7d32';
      context.fillText(wrong ? `${predictions[k]}≠${gridLabels[k]}` : `${predictions[k]}`, x + (wrong ? 4 : 12), y + 42);
      if (wrong) {
        context.strokeStyle = '#c53030';
        context.strokeRect(x + 1, y - 1, 30, 30);
      }
    }
  }
  canvas.dataset.mistakes = predictions === null ? '' : String(mistakes);
}

/** `units` pictures of size x size weights each (28x28 for the MLP's units, 3x3 for the convnet's filters). */
function drawWeights(weights: Float32Array, units: number, size: number): void {
  const canvas = $<HTMLCanvasElement>('weights');
  const context = canvas.getContext('2d')!;
  context.clearRect(0, 0, canvas.width, canvas.height);
  const columns = 8, cell = 40, pixels = size * size;
  for (let u = 0; u < units; u++) {
    let scale = 1e-6;
    for (let i = 0; i < pixels; i++) scale = Math.max(scale, Math.abs(weights[u * pixels + i]!));
    drawPicture(context, weights, u * pixels, (u % columns) * cell + 2, Math.floor(u / columns) * cell + 2, 36 / size, (v) => {
      const t = Math.round((255 * Math.abs(v)) / scale);
      return v >= 0 ? [255, 255 - t, 255 - t] : [255 - t, 255 - t, 255];
    }, size);
  }
  canvas.dataset.pictures = `${units}x${size}x${size}`;
}

// ---- drawing a digit -----------------------------------------------------------------------------

const draw = $<HTMLCanvasElement>('draw');
const pen = draw.getContext('2d')!;
let drawing = false;
let predictId = 0;

function clearDrawing(): void {
  pen.fillStyle = '#000';
  pen.fillRect(0, 0, draw.width, draw.height);
  showProbabilities(null);
}

function point(event: PointerEvent): [number, number] {
  const box = draw.getBoundingClientRect();
  return [((event.clientX - box.left) * draw.width) / box.width, ((event.clientY - box.top) * draw.height) / box.height];
}

draw.addEventListener('pointerdown', (event) => {
  drawing = true;
  draw.setPointerCapture(event.pointerId);
  pen.strokeStyle = '#fff';
  pen.lineWidth = 20;
  pen.lineCap = pen.lineJoin = 'round';
  pen.beginPath();
  pen.moveTo(...point(event));
});
draw.addEventListener('pointermove', (event) => {
  if (!drawing) return;
  pen.lineTo(...point(event));
  pen.stroke();
  requestPrediction();
});
draw.addEventListener('pointerup', () => {
  drawing = false;
  requestPrediction();
});
$('clear').addEventListener('click', clearDrawing);

let predictionPending = false;
function requestPrediction(): void {
  if (predictionPending) return; // one in flight at a time: the Worker may be busy with a batch
  const pixels = mnistPixels(draw);
  if (pixels === null) return;
  predictionPending = true;
  send({ type: 'predict', id: ++predictId, pixels }, [pixels.buffer]);
}

function showProbabilities(values: Float32Array | null): void {
  const box = $('probabilities');
  const best = values === null ? -1 : values.indexOf(Math.max(...values));
  box.innerHTML = '';
  for (let d = 0; d < 10; d++) {
    const p = values === null ? 0 : values[d]!;
    const row = document.createElement('div');
    row.className = d === best ? 'prob best' : 'prob';
    row.innerHTML = `<b>${d}</b><div class="fill" style="width:${Math.round(p * 200)}px"></div><span>${(100 * p).toFixed(1)}%</span>`;
    box.append(row);
  }
  const shown = $('predicted-digit');
  shown.textContent = best < 0 ? '' : `→ ${best}`;
  shown.dataset.digit = best < 0 ? '' : String(best);
}

// ---- which model, on how many images ----------------------------------------------------------------

const MODELS: Record<ModelName, { title: string; weights: string; samples: string }> = {
  mlp: {
    title: 'the MLP (784-512-512-10)',
    weights: '64 units of the first Dense layer: their 784 weights as 28x28 pictures (blue −, red +)',
    samples: '60000',
  },
  convnet: {
    title: 'the convnet (Conv2D 32, pool, Conv2D 64, pool, Dense 10)',
    weights: 'the first Conv2D layer\'s 32 filters: their 3x3 weights as pictures (blue −, red +)',
    // An epoch of all 60,000 images takes the convnet tens of seconds even on 2 threads.
    samples: '12800',
  },
};
const chosenModel = () => $<HTMLSelectElement>('model').value as ModelName;
const chosenSamples = () => Number($<HTMLSelectElement>('samples').value);

/** Says on the page what the next (or current) run trains on. */
function describePlan(): void {
  const samples = chosenSamples();
  const steps = Math.ceil(samples / 128);
  $('plan').textContent =
    `Trains ${MODELS[chosenModel()].title} with Adam, batch 128, on ` +
    `${samples === 60000 ? 'all 60,000' : `the first ${samples.toLocaleString('en')} of the 60,000`} MNIST training images ` +
    `(${steps} steps per epoch); the test accuracy is on all 10,000 test images.`;
}

$('model').addEventListener('change', () => {
  $<HTMLSelectElement>('samples').value = MODELS[chosenModel()].samples;
  describePlan();
});
$('samples').addEventListener('change', describePlan);

// ---- the Worker's messages ------------------------------------------------------------------------

const secondsPerEpoch: number[] = [];

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'ready':
      $('backend').textContent = `${m.backend} (${m.description})`;
      $('threads').textContent = String(m.threads);
      $('status').textContent = 'Ready. Press Train: MNIST loads (55 MB, from this server), then the model trains in a Web Worker.';
      $('threads-note').textContent = m.isolated ? '' : `Threads are off: this page is ${m.note}`;
      root.dataset.isolated = String(m.isolated);
      root.dataset.threads = String(m.threads);
      setControls(true);
      root.dataset.phase = 'ready';
      break;
    case 'data':
      gridImages = m.gridImages;
      gridLabels = m.gridLabels;
      drawGrid(null);
      $('status').textContent = `MNIST loaded: ${m.train} training and ${m.test} test images. Training ${MODELS[trainedModel].title}…`;
      break;
    case 'batch': {
      const done = m.epoch * m.steps + m.step;
      totalSteps = m.epochs * m.steps;
      root.dataset.steps = String(m.steps);
      loss.steps.push({ x: done, y: m.loss });
      accuracy.steps.push({ x: done, y: m.accuracy });
      drawCharts();
      (document.querySelector('#epoch-progress .bar') as HTMLElement).style.width = `${(100 * m.step) / m.steps}%`;
      // What is left of this epoch, at the pace of its steps so far (then the test set's evaluation).
      const left = m.step < m.steps
        ? `  ~${Math.ceil((m.seconds / m.step) * (m.steps - m.step))} s left in this epoch`
        : '  now evaluating on the 10,000 test images…';
      document.querySelector('#epoch-progress .text')!.textContent =
        `Epoch ${m.epoch + 1}/${m.epochs}  ${m.step}/${m.steps} steps  loss ${m.loss.toFixed(4)}  accuracy ${m.accuracy.toFixed(4)}${left}`;
      break;
    }
    case 'epoch': {
      const x = (m.epoch + 1) * (totalSteps / m.epochs);
      loss.epochs.push({ x, y: m.testLoss });
      accuracy.epochs.push({ x, y: m.testAccuracy });
      drawCharts();
      drawGrid(m.gridPredictions);
      drawWeights(m.weights, m.units, m.size);
      secondsPerEpoch.push(m.seconds);
      root.dataset.gemmThreads = String(m.gemmThreads);
      $('seconds-per-epoch').textContent = m.seconds.toFixed(2);
      document.querySelector('#epoch-progress .text')!.textContent =
        `Epoch ${m.epoch + 1}/${m.epochs} done in ${m.seconds.toFixed(1)} s  loss ${m.loss.toFixed(4)}  accuracy ${m.accuracy.toFixed(4)}  ` +
        `test accuracy ${m.testAccuracy.toFixed(4)}`;
      const shown = $('test-accuracy');
      shown.textContent = `${(100 * m.testAccuracy).toFixed(2)}% (epoch ${m.epoch + 1})`;
      shown.dataset.value = String(m.testAccuracy);
      requestPrediction();
      break;
    }
    case 'done': {
      root.dataset.phase = 'trained';
      $('seconds-per-epoch').textContent = m.secondsPerEpoch.toFixed(2);
      $('status').textContent =
        `Trained ${MODELS[trainedModel].title}: ${m.secondsPerEpoch.toFixed(2)} s per epoch of ${trainedSamples.toLocaleString('en')} images. ` +
        'Draw a digit on the black canvas.';
      setControls(true);
      break;
    }
    case 'probabilities':
      predictionPending = false;
      showProbabilities(m.values);
      break;
    case 'error':
      root.dataset.phase = 'error';
      $('status').textContent = `Error: ${m.message}`;
      console.error(`demo: ${m.message}`);
      break;
  }
};
worker.onerror = (event) => {
  root.dataset.phase = 'error';
  $('status').textContent = `The training Worker failed: ${event.message}`;
};

/** The model and the image count of the run under way (or last finished). */
let trainedModel: ModelName = 'mlp';
let trainedSamples = 60000;

function setControls(enabled: boolean): void {
  for (const id of ['train', 'model', 'samples', 'epochs']) $<HTMLButtonElement | HTMLSelectElement>(id).disabled = !enabled;
}

$('train').addEventListener('click', () => {
  setControls(false);
  loss.steps.length = loss.epochs.length = accuracy.steps.length = accuracy.epochs.length = 0;
  trainedModel = chosenModel();
  trainedSamples = chosenSamples();
  root.dataset.phase = 'training';
  root.dataset.model = trainedModel;
  $('weights-caption').textContent = MODELS[trainedModel].weights;
  const weights = $<HTMLCanvasElement>('weights');
  weights.getContext('2d')!.clearRect(0, 0, weights.width, weights.height); // the last run's model may differ
  weights.dataset.pictures = '';
  // demo/?seed=1 trains the same model every time (the browser tests use it); by default, a fresh one.
  const seed = new URLSearchParams(location.search).get('seed');
  send({
    type: 'train', model: trainedModel, epochs: Number($<HTMLSelectElement>('epochs').value), samples: trainedSamples,
    seed: seed === null ? null : Number(seed),
  });
});

describePlan();
clearDrawing();
drawCharts();
