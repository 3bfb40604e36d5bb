// nn/summary.ts — the text of Keras' model.summary() for a Sequential model, as Keras 2.8–2.12
// print it. Pure formatting: it takes names, shapes and counts, and does not look at a model.
//
// Keras lays a Sequential summary out on 65 columns, the fields ending at 45%, 85% and 100% of the
// line (columns 29, 55, 65); each row starts with a space, every line of the table is padded with
// spaces to the full 65, and a blank (all-space) line follows each layer's row.

export interface SummaryRow {
  /** The layer's name: 'dense', 'dropout_1'. */
  name: string;
  /** The layer's class: 'Dense', 'Dropout'. */
  className: string;
  /** The output shape with the batch dimension first as null: [null, 512]. */
  outputShape: readonly (number | null)[];
  /** Weights in the layer. */
  params: number;
}

export interface SummaryInput {
  /** 'sequential', 'sequential_1', ... */
  modelName: string;
  rows: readonly SummaryRow[];
  trainableParams: number;
  nonTrainableParams: number;
}

const LINE_LENGTH = 65;
/** Where each column ends: int(65 * p) for Keras' positions [0.45, 0.85, 1.0]. */
const COLUMN_ENDS = [0.45, 0.85, 1.0].map((p) => Math.floor(LINE_LENGTH * p));

/**
 * The summary table as one string (lines joined by '\n', no final newline):
 *
 *   Model: "sequential"
 *   _________________________________________________________________
 *    Layer (type)                Output Shape              Param #
 *   =================================================================
 *    dense (Dense)               (None, 512)               401920
 *
 *    ...
 *   =================================================================
 *   Total params: 669,706
 *   Trainable params: 669,706
 *   Non-trainable params: 0
 *   _________________________________________________________________
 */
export function formatSummary(input: SummaryInput): string {
  const lines = [`Model: "${input.modelName}"`, '_'.repeat(LINE_LENGTH)];
  lines.push(...tableRow(['Layer (type)', 'Output Shape', 'Param #']));
  lines.push('='.repeat(LINE_LENGTH));
  for (const row of input.rows) {
    lines.push(...tableRow([`${row.name} (${row.className})`, pythonShape(row.outputShape), String(row.params)]));
    lines.push(' '.repeat(LINE_LENGTH));
  }
  lines.push('='.repeat(LINE_LENGTH));
  lines.push(`Total params: ${withThousands(input.trainableParams + input.nonTrainableParams)}`);
  lines.push(`Trainable params: ${withThousands(input.trainableParams)}`);
  lines.push(`Non-trainable params: ${withThousands(input.nonTrainableParams)}`);
  lines.push('_'.repeat(LINE_LENGTH));
  return lines.join('\n');
}

/**
 * One table row, as Keras' print_row lays it out: each field is cut to its column's width less the
 * two spaces before the next column, and what does not fit continues on the next line in the same
 * column. The space that opens every row is not counted in that width, so a first field cut at its
 * full 27 characters pushes the rest of its line one column right, as Keras' own output shows:
 * ` max_pooling2d (MaxPooling2D  (None, 13, 13, 32)       0`, then ` )` on the next line.
 */
function tableRow(fields: string[]): string[] {
  const left = [...fields];
  const lines: string[] = [];
  while (left.some((field) => field.length > 0)) {
    let line = '';
    left.forEach((field, column) => {
      const isLast = column === COLUMN_ENDS.length - 1;
      const start = column > 0 ? COLUMN_ENDS[column - 1] : 0;
      const gap = isLast ? 0 : 2;
      let fits = COLUMN_ENDS[column] - start - gap;
      let piece = field.slice(0, fits);
      // Keras breaks a long field just after '),' '},' '],' or "'," so lists of shapes wrap between items.
      const breaks = ['),', '},', '],', "',"].map((mark) => piece.indexOf(mark)).filter((at) => at >= 0);
      if (breaks.length > 0) {
        fits = Math.min(...breaks) + 2;
        piece = piece.slice(0, fits);
      }
      if (column === 0) line += ' ';
      line += piece + ' '.repeat(gap);
      left[column] = field.slice(fits);
      line = line.padEnd(COLUMN_ENDS[column]);
    });
    lines.push(line);
  }
  return lines;
}

/** A shape as Python prints a tuple: (None, 28, 28); a 1-tuple keeps its comma: (None,). */
export function pythonShape(shape: readonly (number | null)[]): string {
  const items = shape.map((d) => (d === null ? 'None' : String(d)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** 669706 → '669,706', as Python's '{:,}' (independent of the machine's locale). */
export function withThousands(n: number): string {
  const digits = String(Math.abs(Math.trunc(n)));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${grouped}` : grouped;
}
