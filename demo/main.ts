// demo/main.ts — the demo page: starts the training Worker (demo/train-worker.ts) and draws what
// it reports: progress, loss and accuracy curves, the test-digit grid, the first layer's weights,
// and the ten probabilities of a digit drawn on the canvas. It never imports wasmgrad itself: all
// computing happens in the Worker, so the page stays responsive while the model trains.

import { mnistPixels } from './digit.js';
import { GRID_DIGITS, type FromWorker, type ToWorker } from './protocol.js';

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
  drawChart($('accuracy-chart'), accuracy, 1, 0.8);
}

// ---- the test-digit grid and the weights --------------------------------------------------------

let gridImages: Uint8Array | null = null;
let gridLabels: Uint8Array | null = null;

/** Puts one 28x28 picture at (x, y), scaled by `zoom`, from values mapped to RGB by `color`. */
function drawPicture(context: CanvasRenderingContext2D, values: ArrayLike<number>, offset: number, x: number, y: number, zoom: number, color: (v: number) => [number, number, number]): void {
  const image = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const [r, g, b] = color(values[offset + i]!);
    image.data.set([r, g, b, 255], i * 4);
  }
  const tile = document.createElement('canvas');
  tile.width = tile.height = 28;
  tile.getContext('2d')!.putImageData(image, 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(tile, x, y, 28 * zoom, 28 * zoom);
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

function drawWeights(weights: Float32Array, units: number): void {
  const canvas = $<HTMLCanvasElement>('weights');
  const context = canvas.getContext('2d')!;
  const columns = 8, cell = 40;
  for (let u = 0; u < units; u++) {
    let scale = 1e-6;
    for (let i = 0; i < 784; i++) scale = Math.max(scale, Math.abs(weights[u * 784 + i]!));
    drawPicture(context, weights, u * 784, (u % columns) * cell + 2, Math.floor(u / columns) * cell + 2, 36 / 28, (v) => {
      const t = Math.round((255 * Math.abs(v)) / scale);
      return v >= 0 ? [255, 255 - t, 255 - t] : [255 - t, 255 - t, 255];
    });
  }
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
      ($('train') as HTMLButtonElement).disabled = false;
      root.dataset.phase = 'ready';
      break;
    case 'data':
      gridImages = m.gridImages;
      gridLabels = m.gridLabels;
      drawGrid(null);
      $('status').textContent = `MNIST loaded: ${m.train} training and ${m.test} test images. Training…`;
      break;
    case 'batch': {
      const done = m.epoch * m.steps + m.step;
      totalSteps = m.epochs * m.steps;
      loss.steps.push({ x: done, y: m.loss });
      accuracy.steps.push({ x: done, y: m.accuracy });
      drawCharts();
      (document.querySelector('#epoch-progress .bar') as HTMLElement).style.width = `${(100 * m.step) / m.steps}%`;
      document.querySelector('#epoch-progress .text')!.textContent =
        `Epoch ${m.epoch + 1}/${m.epochs}  ${m.step}/${m.steps} steps  loss ${m.loss.toFixed(4)}  accuracy ${m.accuracy.toFixed(4)}`;
      break;
    }
    case 'epoch': {
      const x = (m.epoch + 1) * (totalSteps / m.epochs);
      loss.epochs.push({ x, y: m.testLoss });
      accuracy.epochs.push({ x, y: m.testAccuracy });
      drawCharts();
      drawGrid(m.gridPredictions);
      drawWeights(m.weights, m.units);
      secondsPerEpoch.push(m.seconds);
      root.dataset.gemmThreads = String(m.gemmThreads);
      $('seconds-per-epoch').textContent = m.seconds.toFixed(2);
      const shown = $('test-accuracy');
      shown.textContent = `${(100 * m.testAccuracy).toFixed(2)}% (epoch ${m.epoch + 1})`;
      shown.dataset.value = String(m.testAccuracy);
      requestPrediction();
      break;
    }
    case 'done': {
      root.dataset.phase = 'trained';
      $('seconds-per-epoch').textContent = m.secondsPerEpoch.toFixed(2);
      $('status').textContent = `Trained: ${m.secondsPerEpoch.toFixed(2)} s per epoch. Draw a digit on the black canvas.`;
      ($('train') as HTMLButtonElement).disabled = false;
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

$('train').addEventListener('click', () => {
  ($('train') as HTMLButtonElement).disabled = true;
  loss.steps.length = loss.epochs.length = accuracy.steps.length = accuracy.epochs.length = 0;
  root.dataset.phase = 'training';
  // demo/?seed=1 trains the same model every time (the browser tests use it); by default, a fresh one.
  const seed = new URLSearchParams(location.search).get('seed');
  send({ type: 'train', epochs: Number(($('epochs') as HTMLSelectElement).value), seed: seed === null ? null : Number(seed) });
});

clearDrawing();
drawCharts();
