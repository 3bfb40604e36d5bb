// tests/pictures/display.test.ts — digits as text for known tiny images, and the SVGs (image grid, history
// chart): well-formed XML, one caption per image, mistakes marked, text escaped.

import { describe, expect, it } from 'vitest';
import { digitsToText, escapeXml, historySvg, imageGridSvg } from '../../pictures/display.js';

/**
 * A small XML well-formedness check (Node has no DOMParser): tags nest and close, attributes are
 * quoted and not repeated, '&' only starts an entity, no '<' in text, one root element.
 * Returns the element names in document order.
 */
function checkWellFormedXml(xml: string): string[] {
  const badAmpersand = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)\s*(\/?)>/y;
  const stack: string[] = [];
  const names: string[] = [];
  let roots = 0;
  let at = 0;
  while (at < xml.length) {
    if (xml[at] !== '<') {
      const next = xml.indexOf('<', at);
      const text = xml.slice(at, next < 0 ? xml.length : next);
      if (badAmpersand.test(text)) throw new Error(`bare '&' in text: ${text}`);
      if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root element: ${text}`);
      at = next < 0 ? xml.length : next;
      continue;
    }
    tag.lastIndex = at;
    const match = tag.exec(xml);
    if (match === null) throw new Error(`malformed tag at ${at}: ${xml.slice(at, at + 60)}`);
    const [, closing, name, attributes, selfClosing] = match;
    if (badAmpersand.test(attributes)) throw new Error(`bare '&' in attributes of <${name}>`);
    const attributeNames = [...attributes.matchAll(/([\w.:-]+)="/g)].map((m) => m[1]);
    if (new Set(attributeNames).size !== attributeNames.length) throw new Error(`repeated attribute in <${name}>`);
    if (closing) {
      if (selfClosing || attributes) throw new Error(`malformed closing tag </${name}>`);
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else {
      if (stack.length === 0) roots++;
      names.push(name);
      if (!selfClosing) stack.push(name);
    }
    at = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed elements: ${stack.join(', ')}`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
  return names;
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('the XML check used below', () => {
  it('accepts well-formed XML and rejects the usual mistakes', () => {
    expect(checkWellFormedXml('<svg a="1"><g><text>x &amp; y</text></g><rect/></svg>')).toEqual(['svg', 'g', 'text', 'rect']);
    expect(() => checkWellFormedXml('<svg><g></svg>')).toThrow();
    expect(() => checkWellFormedXml('<svg>a & b</svg>')).toThrow(/bare '&'/);
    expect(() => checkWellFormedXml('<svg>a < b</svg>')).toThrow(/malformed tag/);
    expect(() => checkWellFormedXml('<svg x=1/>')).toThrow(/malformed tag/);
    expect(() => checkWellFormedXml('<svg x="1" x="2"/>')).toThrow(/repeated/);
    expect(() => checkWellFormedXml('<svg/><svg/>')).toThrow(/one root/);
  });
});

describe('digitsToText', () => {
  // Two 4x3 images: a vertical bar (a "1"), and a "7" (a top bar and a right stroke).
  const one = [0, 255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0];
  const seven = [255, 255, 255, 0, 0, 255, 0, 0, 255, 0, 0, 0];
  const images = new Float32Array([...one, ...seven]);

  it('draws each pair of pixel rows as one line of shades, side by side, with the class under each', () => {
    // Ten shades, so value v is shade floor(v / 256 * 10): rows 0-1 of the 7 average to 127.5, 127.5,
    // 255, shades 4 4 9 ('=' '=' '@'); rows 2-3 to 0, 0, 127.5 (' ' ' ' '=').
    expect(digitsToText(images, 2, 4, 3, [1, 7])).toBe([
      ' @       ==@',
      ' @         =',
      'Class 1  Class 7',
    ].join('\n'));
  });

  it('shows true and predicted labels, and says which are wrong', () => {
    expect(digitsToText(images, 2, 4, 3, [1, 7], [1, 2])).toBe([
      ' @               ==@',
      ' @                 =',
      'true: 1          true: 7',
      'pred: 1          pred: 2 (wrong)',
    ].join('\n'));
  });

  it('uses class names and other shades, and starts a new band when the line would be too wide', () => {
    const text = digitsToText(images, 2, 4, 3, [1, 7], undefined, { classNames: ['zero', 'one', '', '', '', '', '', 'seven'], shades: ' ░▒▓█', maxWidth: 12 });
    expect(text).toBe([' █', ' █', 'Class one', '', '▒▒█', '  ▒', 'Class seven'].join('\n'));
  });

  it('draws an image with an odd number of rows, and nothing at all for zero images', () => {
    expect(digitsToText(new Float32Array([255, 0, 0, 255, 128, 0]), 1, 3, 2)).toBe(['==', '+'].join('\n'));
    expect(digitsToText(new Float32Array(0), 0, 28, 28)).toBe('');
  });

  it('explains a mismatch between the data and the sizes given', () => {
    expect(() => digitsToText(images, 3, 4, 3)).toThrow(/3 images of 4x3 = 36 values, got 24/);
    expect(() => digitsToText(images, 2, 4, 3, [1])).toThrow(/expected 2 labels, got 1/);
  });
});

describe('imageGridSvg', () => {
  const height = 28, width = 28, n = 6;
  const images = new Float32Array(n * height * width);
  // Image i: a bright square with a gradient column, so runs of equal pixels vary.
  for (let i = 0; i < n; i++) {
    for (let r = 8; r < 20; r++) for (let c = 8; c < 20; c++) images[(i * height + r) * width + c] = c === 19 ? 100 + i : 255;
  }
  const labels = [5, 0, 4, 1, 9, 2];
  const predicted = [5, 0, 9, 1, 9, 7];

  it('is well-formed SVG with one caption per image, mistakes in red', () => {
    const svg = imageGridSvg({ images, count: n, height, width, labels, predicted, columns: 3 });
    const elements = checkWellFormedXml(svg);
    expect(elements[0]).toBe('svg');
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(count(svg, '<text ')).toBe(n);
    expect(count(svg, 'class="caption mistake"')).toBe(2); // 4 read as 9, 2 read as 7
    expect(count(svg, 'stroke="#d62728"')).toBe(2); // a red frame around each mistake
    expect(svg).toContain('>true: 4</tspan>');
    expect(svg).toContain('>pred: 9</tspan>');
    // 3 columns, 2 rows: the picture is wider than tall.
    const [, w, h] = /width="([\d.]+)" height="([\d.]+)"/.exec(svg)!.map(Number);
    expect(w).toBeGreaterThan(h);
  });

  it('merges runs of equal pixels in a row into one shape per run', () => {
    const svg = imageGridSvg({ images, count: 1, height, width, labels: [5] });
    // Each of the 12 rows: one run of 11 white pixels, and the gradient pixel on its own.
    expect(count(svg, 'h11v1h-11z')).toBe(12);
    expect(svg).toContain('<path fill="#ffffff" d="M8 8h11v1h-11zM8 9h11v1h-11z');
    expect(svg).toContain('<path fill="#646464" d="M19 8h1v1h-1z');
    expect(count(svg, '<path ')).toBe(2); // one per gray level
    expect(svg).toContain('>Class 5</tspan>');
  });

  it('escapes class names for XML', () => {
    const svg = imageGridSvg({ images, count: 2, height, width, labels: [0, 1], predicted: [1, 1], classNames: ['Tom & "Jerry"', '<b>'] });
    checkWellFormedXml(svg);
    expect(svg).toContain('true: Tom &amp; &quot;Jerry&quot;');
    expect(svg).toContain('pred: &lt;b&gt;');
  });

  it('has no captions without labels, and rejects a bad column count', () => {
    const svg = imageGridSvg({ images, count: 2, height, width });
    checkWellFormedXml(svg);
    expect(svg).not.toContain('<text');
    expect(() => imageGridSvg({ images, count: 2, height, width, columns: 0 })).toThrow(/columns/);
  });
});

describe('historySvg', () => {
  const history = {
    loss: [0.25, 0.1, 0.07, 0.055, 0.045],
    accuracy: [0.925, 0.97, 0.978, 0.983, 0.986],
    val_loss: [0.11, 0.085, 0.075, 0.07, 0.072],
    val_accuracy: [0.966, 0.974, 0.977, 0.979, 0.98],
  };

  it('draws loss and accuracy panels with train and validation lines, axes, ticks and a legend', () => {
    const svg = historySvg(history);
    checkWellFormedXml(svg);
    expect(svg).toContain('>Training and validation loss</text>');
    expect(svg).toContain('>Training and validation accuracy</text>');
    expect(count(svg, '<polyline ')).toBe(4);
    expect(count(svg, 'stroke-dasharray="6 3"')).toBe(4); // two validation lines, two legend samples
    for (const key of Object.keys(history)) expect(svg).toContain(`>${key}</text>`);
    for (const epoch of [1, 2, 3, 4, 5]) expect(svg).toContain(`>${epoch}</text>`);
    expect(svg).toContain('>epoch</text>');
    // Loss ticks on a round step covering 0.045..0.25.
    expect(svg).toContain('>0.00</text>');
    expect(svg).toContain('>0.25</text>');
  });

  it('puts the legend in a corner the lines avoid: top for a falling loss, bottom for a rising accuracy', () => {
    const legendY = (svg: string) => Number(/<rect x="[\d.]+" y="([\d.]+)"[^>]*fill-opacity/.exec(svg)![1]);
    const middle = 150; // the plot spans y = 40..252 in each 300-high panel
    expect(legendY(historySvg({ loss: history.loss, val_loss: history.val_loss }))).toBeLessThan(middle);
    expect(legendY(historySvg({ accuracy: history.accuracy, val_accuracy: history.val_accuracy }))).toBeGreaterThan(middle);
  });

  it('breaks a line at a non-finite value instead of drawing it off the chart', () => {
    const svg = historySvg({ loss: [1, 0.5, NaN, 0.4, 0.3] });
    checkWellFormedXml(svg);
    expect(count(svg, '<polyline ')).toBe(2);
    expect(svg).not.toContain('NaN');
    expect(svg).toContain('>Training loss</text>');
  });

  it('handles a single epoch, odd key names and an empty history', () => {
    const one = historySvg({ 'a<b&c': [3] });
    checkWellFormedXml(one);
    expect(one).toContain('a&lt;b&amp;c');
    expect(count(one, '<circle ')).toBe(1);
    const empty = historySvg({});
    checkWellFormedXml(empty);
    expect(empty).toContain('No history to plot');
  });
});

describe('escapeXml', () => {
  it('escapes the five XML special characters', () => {
    expect(escapeXml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;');
  });
});
