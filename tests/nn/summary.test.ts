// tests/nn/summary.test.ts — formatSummary against Keras 2.8–2.12's model.summary() text, written
// out by hand for the tutorials' models. Each line of the table is padded to 65 columns, as Keras prints
// it, so the expected lines are quoted strings (trailing spaces visible) rather than a template.

import { describe, expect, it } from 'vitest';
import { formatSummary, pythonShape, withThousands, type SummaryRow } from '../../nn/summary.js';

function row(name: string, className: string, outputShape: (number | null)[], params: number): SummaryRow {
  return { name, className, outputShape, params };
}

describe('formatSummary', () => {
  it('prints the MNIST MLP (Dense/Activation/Dropout, 669,706 params) exactly as Keras does', () => {
    const text = formatSummary({
      modelName: 'sequential',
      rows: [
        row('dense', 'Dense', [null, 512], 401920),
        row('activation', 'Activation', [null, 512], 0),
        row('dropout', 'Dropout', [null, 512], 0),
        row('dense_1', 'Dense', [null, 512], 262656),
        row('activation_1', 'Activation', [null, 512], 0),
        row('dropout_1', 'Dropout', [null, 512], 0),
        row('dense_2', 'Dense', [null, 10], 5130),
        row('activation_2', 'Activation', [null, 10], 0),
      ],
      trainableParams: 669706,
      nonTrainableParams: 0,
    });
    const expected = [
      'Model: "sequential"',
      '_________________________________________________________________',
      ' Layer (type)                Output Shape              Param #   ',
      '=================================================================',
      ' dense (Dense)               (None, 512)               401920    ',
      '                                                                 ',
      ' activation (Activation)     (None, 512)               0         ',
      '                                                                 ',
      ' dropout (Dropout)           (None, 512)               0         ',
      '                                                                 ',
      ' dense_1 (Dense)             (None, 512)               262656    ',
      '                                                                 ',
      ' activation_1 (Activation)   (None, 512)               0         ',
      '                                                                 ',
      ' dropout_1 (Dropout)         (None, 512)               0         ',
      '                                                                 ',
      ' dense_2 (Dense)             (None, 10)                5130      ',
      '                                                                 ',
      ' activation_2 (Activation)   (None, 10)                0         ',
      '                                                                 ',
      '=================================================================',
      'Total params: 669,706',
      'Trainable params: 669,706',
      'Non-trainable params: 0',
      '_________________________________________________________________',
    ];
    // A typo in the hand-written lines would show here first: every table line is 65 wide.
    for (const line of expected.slice(1, -4)) expect(line).toHaveLength(65);
    expect(text.split('\n')).toEqual(expected);
  });

  it('prints the Flatten model of the "Creating a Neural Network for Handwritten Digits Recognition" tutorial: (None, 784) and 0 params for Flatten, 669,706 in all', () => {
    const text = formatSummary({
      modelName: 'sequential_1',
      rows: [
        row('flatten', 'Flatten', [null, 784], 0),
        row('dense', 'Dense', [null, 512], 401920),
        row('dropout', 'Dropout', [null, 512], 0),
        row('dense_1', 'Dense', [null, 512], 262656),
        row('dropout_1', 'Dropout', [null, 512], 0),
        row('dense_2', 'Dense', [null, 10], 5130),
      ],
      trainableParams: 669706,
      nonTrainableParams: 0,
    });
    const expected = [
      'Model: "sequential_1"',
      '_________________________________________________________________',
      ' Layer (type)                Output Shape              Param #   ',
      '=================================================================',
      ' flatten (Flatten)           (None, 784)               0         ',
      '                                                                 ',
      ' dense (Dense)               (None, 512)               401920    ',
      '                                                                 ',
      ' dropout (Dropout)           (None, 512)               0         ',
      '                                                                 ',
      ' dense_1 (Dense)             (None, 512)               262656    ',
      '                                                                 ',
      ' dropout_1 (Dropout)         (None, 512)               0         ',
      '                                                                 ',
      ' dense_2 (Dense)             (None, 10)                5130      ',
      '                                                                 ',
      '=================================================================',
      'Total params: 669,706',
      'Trainable params: 669,706',
      'Non-trainable params: 0',
      '_________________________________________________________________',
    ];
    for (const line of expected.slice(1, -4)) expect(line).toHaveLength(65);
    expect(text.split('\n')).toEqual(expected);
  });

  // Keras cuts the first field at 27 characters (its column's 29 less the 2-space gap) and does not
  // count the space that opens the row, so the rest of such a line sits one column to the right.
  it('wraps a name too long for its column onto the next line, as Keras does', () => {
    const lines = formatSummary({
      modelName: 'm',
      rows: [row('a_very_long_layer_name_for_wrapping', 'Dense', [null, 8], 40)],
      trainableParams: 40,
      nonTrainableParams: 0,
    }).split('\n');
    expect(lines.slice(4, 7)).toEqual([
      ' a_very_long_layer_name_for_  (None, 8)                40        ',
      ' wrapping (Dense)                                                ',
      '                                                                 ',
    ]);
  });

  it('counts non-trainable params into the total, with thousands separators', () => {
    const lines = formatSummary({ modelName: 'm', rows: [], trainableParams: 1234567, nonTrainableParams: 1000 }).split('\n');
    expect(lines.slice(-4)).toEqual([
      'Total params: 1,235,567',
      'Trainable params: 1,234,567',
      'Non-trainable params: 1,000',
      '_________________________________________________________________',
    ]);
  });
});

describe('Python-style pieces', () => {
  it('prints shapes as Python tuples', () => {
    expect(pythonShape([null, 28, 28])).toBe('(None, 28, 28)');
    expect(pythonShape([null])).toBe('(None,)');
    expect(pythonShape([])).toBe('()');
  });

  it("groups thousands like Python's '{:,}'", () => {
    expect(withThousands(0)).toBe('0');
    expect(withThousands(999)).toBe('999');
    expect(withThousands(1000)).toBe('1,000');
    expect(withThousands(669706)).toBe('669,706');
    expect(withThousands(-1234567)).toBe('-1,234,567');
  });
});
