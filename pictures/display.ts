// pictures/display.ts — seeing the data and the training, as Keras' MNIST MLP tutorial does with matplotlib: digits drawn
// in the terminal with shade characters, an SVG grid of images with their true (and predicted)
// labels, and an SVG line chart of a History. Pure formatting: numbers in, text out; no tensors,
// no files, no image encoder (SVG is text, so each image is drawn with vector shapes).

// ---- digits in the terminal ---------------------------------------------------------------------

export interface DigitsTextOptions {
  /** Names to show instead of class ids (e.g. Fashion-MNIST's 'Ankle boot'). */
  classNames?: readonly string[];
  /** Characters from dark to bright; pixel 0 is the first, 255 the last. Default ' .:-=+*#%@'. */
  shades?: string;
  /** Images are placed side by side while the line stays within this many characters. Default 100. */
  maxWidth?: number;
}

/** A classic ten-step ASCII ramp (Paul Bourke's): it works in every terminal and font. */
const ASCII_SHADES = ' .:-=+*#%@';
/** Spaces between two images placed side by side. */
const TEXT_GAP = 2;

/**
 * `count` images of height x width pixels (values 0..255, one image after another in `images`),
 * drawn with shade characters, several side by side, each with its class under it:
 *
 *       .*@@@=
 *     ...
 *   Class 5
 *
 * With `predicted`, the caption is `true: 5` / `pred: 3 (wrong)`. A terminal cell is about twice as
 * tall as it is wide, so each text line shows two pixel rows (their mean): digits keep their shape.
 */
export function digitsToText(
  images: ArrayLike<number>,
  count: number,
  height: number,
  width: number,
  labels?: ArrayLike<number>,
  predicted?: ArrayLike<number>,
  options: DigitsTextOptions = {},
): string {
  checkImages('digitsToText', images, count, height, width, labels, predicted);
  const shades = Array.from(options.shades ?? ASCII_SHADES);
  if (shades.length < 2) throw new Error(`wasmgrad: digitsToText expected at least two shade characters, got ${JSON.stringify(options.shades)}`);
  const maxWidth = options.maxWidth ?? 100;

  const cells: string[][] = [];
  for (let i = 0; i < count; i++) {
    const lines: string[] = [];
    for (let row = 0; row < height; row += 2) {
      let line = '';
      for (let col = 0; col < width; col++) {
        const top = pixel(images, i, row, col, height, width);
        const value = row + 1 < height ? (top + pixel(images, i, row + 1, col, height, width)) / 2 : top;
        line += shades[Math.min(shades.length - 1, Math.floor((value / 256) * shades.length))];
      }
      lines.push(line);
    }
    const caption = captionFor(i, labels, predicted, options.classNames);
    if (caption.isMistake) caption.lines[caption.lines.length - 1] += ' (wrong)';
    cells.push([...lines, ...caption.lines]);
  }
  if (cells.length === 0) return '';

  // One width for every cell, so images line up in columns from one band to the next.
  const cellWidth = Math.max(width, ...cells.flat().map((line) => line.length));
  const cellHeight = Math.max(...cells.map((cell) => cell.length));
  const perBand = Math.max(1, Math.floor((maxWidth + TEXT_GAP) / (cellWidth + TEXT_GAP)));
  const bands: string[] = [];
  for (let first = 0; first < cells.length; first += perBand) {
    const band = cells.slice(first, first + perBand);
    const lines: string[] = [];
    for (let line = 0; line < cellHeight; line++) {
      lines.push(band.map((cell) => (cell[line] ?? '').padEnd(cellWidth)).join(' '.repeat(TEXT_GAP)).trimEnd());
    }
    bands.push(lines.join('\n'));
  }
  return bands.join('\n\n');
}

// ---- a grid of images as SVG --------------------------------------------------------------------

export interface ImageGridOptions {
  /** `count` images of height x width pixels, values 0..255, one after another. */
  images: ArrayLike<number>;
  count: number;
  height: number;
  width: number;
  /** True class ids: the caption under each image. */
  labels?: ArrayLike<number>;
  /** Predicted class ids: a second caption line; mistakes are drawn in red with a red frame. */
  predicted?: ArrayLike<number>;
  /** Images per row. Default min(count, 10). */
  columns?: number;
  /** Names to show instead of class ids. */
  classNames?: readonly string[];
  /** Screen pixels per image pixel. Default 3 (a 28x28 digit is 84 px wide). */
  scale?: number;
}

const MISTAKE_COLOR = '#d62728';
const CAPTION_COLOR = '#222222';
const FONT_SIZE = 12;
const LINE_HEIGHT = 15;
/** A rough width of one 12 px sans-serif character, to make room for long class names. */
const CHAR_WIDTH = 7;
const GRID_GAP = 14;

/**
 * An SVG grid of grayscale images (black background, bright strokes: matplotlib's 'gray' map),
 * with "true: 5" / "pred: 3" under each; mistakes are in red. Open the file in any browser.
 */
export function imageGridSvg(options: ImageGridOptions): string {
  const { images, count, height, width, labels, predicted, classNames } = options;
  checkImages('imageGridSvg', images, count, height, width, labels, predicted);
  const scale = options.scale ?? 3;
  if (options.columns !== undefined && !(Number.isInteger(options.columns) && options.columns > 0)) {
    throw new Error(`wasmgrad: imageGridSvg expected columns to be a positive integer, got ${options.columns}`);
  }
  if (!(scale > 0)) throw new Error(`wasmgrad: imageGridSvg expected scale to be a positive number, got ${options.scale}`);
  const columns = Math.max(1, Math.min(options.columns ?? 10, count));

  const captions = Array.from({ length: count }, (_, i) => captionFor(i, labels, predicted, classNames));
  const captionLines = Math.max(0, ...captions.map((c) => c.lines.length));
  const longestCaption = Math.max(0, ...captions.flatMap((c) => c.lines.map((line) => line.length)));
  const imageWidth = width * scale, imageHeight = height * scale;
  const cellWidth = Math.max(imageWidth, longestCaption * CHAR_WIDTH) + GRID_GAP;
  const cellHeight = imageHeight + captionLines * LINE_HEIGHT + GRID_GAP + (captionLines > 0 ? 4 : 0);
  const rows = Math.ceil(count / columns);
  const svgWidth = columns * cellWidth + GRID_GAP, svgHeight = rows * cellHeight + GRID_GAP;

  const parts = [svgOpen(svgWidth, svgHeight), `<rect width="${svgWidth}" height="${svgHeight}" fill="#ffffff"/>`];
  for (let i = 0; i < count; i++) {
    const x = GRID_GAP + (i % columns) * cellWidth + (cellWidth - GRID_GAP - imageWidth) / 2;
    const y = GRID_GAP + Math.floor(i / columns) * cellHeight;
    parts.push(`<g transform="translate(${num(x)} ${num(y)})">`);
    parts.push(`<rect width="${num(imageWidth)}" height="${num(imageHeight)}" fill="#000000"/>`);
    parts.push(`<g transform="scale(${num(scale)})" shape-rendering="crispEdges">${imagePaths(images, i, height, width)}</g>`);
    const caption = captions[i];
    if (caption.isMistake) {
      parts.push(`<rect x="-2" y="-2" width="${num(imageWidth + 4)}" height="${num(imageHeight + 4)}" fill="none" stroke="${MISTAKE_COLOR}" stroke-width="3"/>`);
    }
    if (caption.lines.length > 0) {
      const centre = num(imageWidth / 2);
      const spans = caption.lines
        .map((line, k) => `<tspan x="${centre}" y="${num(imageHeight + 4 + (k + 1) * LINE_HEIGHT - 3)}">${escapeXml(line)}</tspan>`)
        .join('');
      const kind = caption.isMistake ? 'caption mistake' : 'caption';
      parts.push(`<text class="${kind}" text-anchor="middle" fill="${caption.isMistake ? MISTAKE_COLOR : CAPTION_COLOR}">${spans}</text>`);
    }
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/**
 * One image's bright pixels in image-pixel units: one <path> per gray level holding every run of
 * equal neighbours in a row ("M3 5h4v1h-4z" is a run of 4 at x=3, y=5). Merging runs and grouping by
 * level keeps a 28x28 digit to a few kilobytes; the black background is a single rect under it.
 */
function imagePaths(images: ArrayLike<number>, index: number, height: number, width: number): string {
  const runsByLevel = new Map<number, string[]>();
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; ) {
      const level = Math.round(pixel(images, index, row, col, height, width));
      let end = col + 1;
      while (end < width && Math.round(pixel(images, index, row, end, height, width)) === level) end++;
      if (level > 0) {
        const runs = runsByLevel.get(level) ?? [];
        runs.push(`M${col} ${row}h${end - col}v1h-${end - col}z`);
        runsByLevel.set(level, runs);
      }
      col = end;
    }
  }
  return [...runsByLevel].map(([level, runs]) => `<path fill="${gray(level)}" d="${runs.join('')}"/>`).join('');
}

// ---- a History as SVG line charts ----------------------------------------------------------------

const PANEL_WIDTH = 420;
const PANEL_HEIGHT = 300;
const MARGIN = { left: 64, right: 20, top: 40, bottom: 48 };
const TRAIN_COLOR = '#1f77b4';
const VALIDATION_COLOR = '#ff7f0e';

/**
 * Line charts of a History, one panel per quantity: `loss` with `val_loss`, `accuracy` with
 * `val_accuracy` (any other key gets its own panel), over epochs 1..n, with axes, tick labels and a
 * legend. Validation lines are dashed, so the chart also reads in gray print. Non-finite values
 * (a diverged loss) leave a gap in the line.
 */
export function historySvg(history: Readonly<Record<string, readonly number[]>>): string {
  const panels: { quantity: string; keys: string[] }[] = [];
  for (const key of Object.keys(history)) {
    if (history[key].length === 0) continue;
    const quantity = key.startsWith('val_') ? key.slice(4) : key;
    let panel = panels.find((p) => p.quantity === quantity);
    if (panel === undefined) panels.push((panel = { quantity, keys: [] }));
    panel.keys.push(key);
  }
  if (panels.length === 0) {
    return `${svgOpen(PANEL_WIDTH, 60)}\n<rect width="${PANEL_WIDTH}" height="60" fill="#ffffff"/>\n` +
      `<text x="${PANEL_WIDTH / 2}" y="34" text-anchor="middle" fill="${CAPTION_COLOR}">No history to plot: fit() has not recorded any epoch</text>\n</svg>\n`;
  }
  // Training first, validation second, whatever order the keys came in.
  for (const panel of panels) panel.keys.sort((a, b) => Number(a.startsWith('val_')) - Number(b.startsWith('val_')));

  const columns = Math.min(2, panels.length);
  const svgWidth = columns * PANEL_WIDTH, svgHeight = Math.ceil(panels.length / columns) * PANEL_HEIGHT;
  const parts = [svgOpen(svgWidth, svgHeight), `<rect width="${svgWidth}" height="${svgHeight}" fill="#ffffff"/>`];
  panels.forEach((panel, i) => {
    const x = (i % columns) * PANEL_WIDTH, y = Math.floor(i / columns) * PANEL_HEIGHT;
    parts.push(`<g transform="translate(${x} ${y})">`, ...chartPanel(panel.quantity, panel.keys, history), '</g>');
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** One panel: title, grid, axes with ticks and labels, the lines, and the legend. */
function chartPanel(quantity: string, keys: string[], history: Readonly<Record<string, readonly number[]>>): string[] {
  const plotWidth = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const epochs = Math.max(...keys.map((k) => history[k].length));
  const values = keys.flatMap((k) => history[k].filter((v) => Number.isFinite(v)));
  const yAxis = niceTicks(values.length > 0 ? Math.min(...values) : 0, values.length > 0 ? Math.max(...values) : 1);
  // One epoch has no extent: centre its point on a two-epoch-wide axis.
  const [xLow, xHigh] = epochs > 1 ? [1, epochs] : [0, 2];
  const xOf = (epoch: number) => MARGIN.left + ((epoch - xLow) / (xHigh - xLow)) * plotWidth;
  const yOf = (value: number) => MARGIN.top + (1 - (value - yAxis.low) / (yAxis.high - yAxis.low)) * plotHeight;
  const bottom = MARGIN.top + plotHeight, right = MARGIN.left + plotWidth;

  const hasValidation = keys.some((k) => k.startsWith('val_'));
  const title = `${hasValidation ? 'Training and validation' : 'Training'} ${quantity}`;
  const out = [`<text x="${num(MARGIN.left + plotWidth / 2)}" y="24" text-anchor="middle" font-size="14" font-weight="bold" fill="${CAPTION_COLOR}">${escapeXml(title)}</text>`];

  for (const tick of yAxis.ticks) {
    const ty = num(yOf(tick));
    out.push(`<line x1="${MARGIN.left}" y1="${ty}" x2="${right}" y2="${ty}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${ty}" dy="4" text-anchor="end" font-size="11" fill="${CAPTION_COLOR}">${tick.toFixed(yAxis.decimals)}</text>`);
  }
  for (const epoch of epochTicks(epochs)) {
    const tx = num(xOf(epoch));
    out.push(`<line x1="${tx}" y1="${bottom}" x2="${tx}" y2="${bottom + 5}" stroke="#333333"/>`);
    out.push(`<text x="${tx}" y="${bottom + 18}" text-anchor="middle" font-size="11" fill="${CAPTION_COLOR}">${epoch}</text>`);
  }
  out.push(`<path d="M${MARGIN.left} ${MARGIN.top}V${bottom}H${right}" fill="none" stroke="#333333"/>`);
  out.push(`<text x="${num(MARGIN.left + plotWidth / 2)}" y="${PANEL_HEIGHT - 10}" text-anchor="middle" fill="${CAPTION_COLOR}">epoch</text>`);
  out.push(`<text transform="translate(16 ${num(MARGIN.top + plotHeight / 2)}) rotate(-90)" text-anchor="middle" fill="${CAPTION_COLOR}">${escapeXml(quantity)}</text>`);

  const stretches: [number, number][][] = [];
  for (const key of keys) {
    const { color, dash } = seriesStyle(key);
    // A line per stretch of finite values: a NaN or Infinity breaks the line instead of bending it off the chart.
    let stretch: [number, number][] = [];
    const flush = () => {
      if (stretch.length > 1) {
        out.push(`<polyline points="${stretch.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
      }
      stretches.push(stretch);
      stretch = [];
    };
    history[key].forEach((value, epochIndex) => {
      if (!Number.isFinite(value)) return flush();
      const [x, y] = [xOf(epochIndex + 1), yOf(value)];
      stretch.push([x, y]);
      if (epochs <= 30) out.push(`<circle cx="${num(x)}" cy="${num(y)}" r="3" fill="${color}"/>`);
    });
    flush();
  }

  // The legend goes on a white card in the plot corner the lines cross least: top right for a
  // falling loss, bottom right for a rising accuracy.
  const legendWidth = 40 + Math.max(...keys.map((k) => k.length)) * CHAR_WIDTH;
  const legendHeight = keys.length * 18 + 8;
  const corners: [number, number][] = [
    [right - legendWidth - 6, MARGIN.top + 6], [right - legendWidth - 6, bottom - legendHeight - 6],
    [MARGIN.left + 6, MARGIN.top + 6], [MARGIN.left + 6, bottom - legendHeight - 6],
  ];
  const samples = samplesAlong(stretches);
  const covered = ([cx, cy]: [number, number]) => samples.filter(([x, y]) => x >= cx - 4 && x <= cx + legendWidth + 4 && y >= cy - 4 && y <= cy + legendHeight + 4).length;
  const coverage = corners.map(covered);
  const [legendX, legendY] = corners[coverage.indexOf(Math.min(...coverage))];
  out.push(`<rect x="${num(legendX)}" y="${num(legendY)}" width="${num(legendWidth)}" height="${legendHeight}" fill="#ffffff" fill-opacity="0.85" stroke="#cccccc"/>`);
  keys.forEach((key, k) => {
    const ly = num(legendY + 13 + k * 18);
    const { color, dash } = seriesStyle(key);
    out.push(`<line x1="${num(legendX + 8)}" y1="${ly}" x2="${num(legendX + 30)}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${num(legendX + 36)}" y="${ly}" dy="4" font-size="11" fill="${CAPTION_COLOR}">${escapeXml(key)}</text>`);
  });
  return out;
}

/** Training lines solid blue, validation lines dashed orange. */
function seriesStyle(key: string): { color: string; dash: string } {
  return key.startsWith('val_') ? { color: VALIDATION_COLOR, dash: ' stroke-dasharray="6 3"' } : { color: TRAIN_COLOR, dash: '' };
}

/** Points every few pixels along each polyline: enough to tell whether a line crosses a box. */
function samplesAlong(stretches: [number, number][][]): [number, number][] {
  const samples: [number, number][] = [];
  for (const stretch of stretches) {
    stretch.forEach(([x, y], i) => {
      samples.push([x, y]);
      if (i === 0) return;
      const [px, py] = stretch[i - 1];
      const steps = Math.ceil(Math.hypot(x - px, y - py) / 4);
      for (let t = 1; t < steps; t++) samples.push([px + ((x - px) * t) / steps, py + ((y - py) * t) / steps]);
    });
  }
  return samples;
}

/** Round steps (1, 2 or 5 times a power of ten) covering [min, max] in about five intervals. */
function niceTicks(min: number, max: number): { low: number; high: number; ticks: number[]; decimals: number } {
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const low = Math.floor(min / step) * step, high = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  // Count ticks rather than adding step repeatedly: repeated float additions drift past `high`.
  const intervals = Math.round((high - low) / step);
  for (let i = 0; i <= intervals; i++) ticks.push(low + i * step);
  return { low, high, ticks, decimals: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) };
}

/** Epoch numbers to label: every one for short runs, else multiples of a round step. */
function epochTicks(epochs: number): number[] {
  if (epochs <= 10) return Array.from({ length: epochs }, (_, i) => i + 1);
  const step = [2, 5, 10, 20, 50, 100, 200, 500, 1000].find((s) => epochs / s <= 10) ?? Math.ceil(epochs / 10);
  const ticks = step >= 5 ? [1] : [];
  for (let e = step; e <= epochs; e += step) ticks.push(e);
  return ticks;
}

// ---- shared ---------------------------------------------------------------------------------------

function checkImages(
  caller: string, images: ArrayLike<number>, count: number, height: number, width: number,
  labels: ArrayLike<number> | undefined, predicted: ArrayLike<number> | undefined,
): void {
  if (![count, height, width].every((n) => Number.isInteger(n)) || count < 0 || height <= 0 || width <= 0) {
    throw new Error(`wasmgrad: ${caller} expected a whole count >= 0 and a positive height and width, got count ${count}, height ${height}, width ${width}`);
  }
  if (images.length < count * height * width) {
    throw new Error(`wasmgrad: ${caller} expected ${count} images of ${height}x${width} = ${count * height * width} values, got ${images.length}`);
  }
  for (const [name, ids] of [['labels', labels], ['predicted', predicted]] as const) {
    if (ids !== undefined && ids.length < count) throw new Error(`wasmgrad: ${caller} expected ${count} ${name}, got ${ids.length}`);
  }
}

function pixel(images: ArrayLike<number>, index: number, row: number, col: number, height: number, width: number): number {
  const value = images[(index * height + row) * width + col];
  return Number.isFinite(value) ? Math.min(255, Math.max(0, value)) : 0;
}

/** `Class 5` with labels only (the MNIST MLP tutorial's title); `true: 5` / `pred: 3` with predictions. */
function captionFor(
  index: number, labels: ArrayLike<number> | undefined, predicted: ArrayLike<number> | undefined, classNames: readonly string[] | undefined,
): { lines: string[]; isMistake: boolean } {
  const name = (id: number) => classNames?.[id] ?? String(id);
  if (predicted === undefined) return { lines: labels === undefined ? [] : [`Class ${name(labels[index])}`], isMistake: false };
  const guess = `pred: ${name(predicted[index])}`;
  if (labels === undefined) return { lines: [guess], isMistake: false };
  return { lines: [`true: ${name(labels[index])}`, guess], isMistake: labels[index] !== predicted[index] };
}

function svgOpen(width: number, height: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" ` +
    `font-family="Helvetica, Arial, sans-serif" font-size="${FONT_SIZE}">`;
}

/** '#7f7f7f' for level 127. */
function gray(level: number): string {
  const hex = level.toString(16).padStart(2, '0');
  return `#${hex}${hex}${hex}`;
}

/** Coordinates to at most one decimal: enough for a screen, and the file stays small. */
function num(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** Text safe inside an XML element or a quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
