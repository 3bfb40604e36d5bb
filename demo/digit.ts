// demo/digit.ts — turns a drawing on the demo's canvas into an MNIST-like 28x28 image: the way
// MNIST's digits were made (the ink's bounding box scaled to fit 20x20, keeping its aspect ratio,
// then placed in a 28x28 field so that its centre of mass is at the centre). Without this a digit
// drawn small or off-centre looks nothing like the training data. Pure pixel work, no library.

/** 784 floats in [0, 1], row-major, or null when nothing is drawn. */
export function mnistPixels(canvas: HTMLCanvasElement): Float32Array | null {
  const { width, height } = canvas;
  const rgba = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
  // Ink = brightness (the canvas is white on black).
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba[(y * width + x) * 4]! > 32) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  if (bottom < 0) return null;

  // Scale the bounding box so that its longer side is 20 pixels, through a smoothing canvas.
  const boxW = right - left + 1, boxH = bottom - top + 1;
  const scale = 20 / Math.max(boxW, boxH);
  const w = Math.max(1, Math.round(boxW * scale)), h = Math.max(1, Math.round(boxH * scale));
  const small = document.createElement('canvas');
  small.width = w;
  small.height = h;
  const context = small.getContext('2d')!;
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(canvas, left, top, boxW, boxH, 0, 0, w, h);
  const pixels = context.getImageData(0, 0, w, h).data;

  // Centre of mass of the scaled digit.
  let mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = pixels[(y * w + x) * 4]! / 255;
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  cx /= mass;
  cy /= mass;
  const dx = Math.round(14 - cx - 0.5), dy = Math.round(14 - cy - 0.5);

  const out = new Float32Array(784);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const tx = x + dx, ty = y + dy;
      if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) out[ty * 28 + tx] = pixels[(y * w + x) * 4]! / 255;
    }
  }
  return out;
}
