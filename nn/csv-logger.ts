// nn/csv-logger.ts — Keras' CSVLogger: one row per epoch (epoch, then the logs' keys in sorted
// order) appended to a CSV file as training goes, so a crash loses at most the epoch under way.
// Node only (node:fs is loaded when training begins); not a general CSV writer.

import { describeValue } from '../engine/index.js';
import { Callback, type Logs } from './callbacks.js';
import { pythonFloat } from './progress.js';
import { nodeBuiltin } from '../runtime/node-builtins.js';

export class CSVLogger extends Callback {
  private keys: string[] | null = null;
  private fs: typeof import('node:fs/promises') | null = null;

  /**
   * @param filename the CSV file; replaced when training begins unless `append`
   * @param options separator (default ','), append (default false: keep the file's rows and add to them)
   */
  constructor(
    readonly filename: string,
    readonly options: { separator?: string; append?: boolean } = {},
  ) {
    super();
    if (typeof filename !== 'string' || filename === '') throw new Error(`wasmgrad: CSVLogger expected a filename such as 'training.csv', got ${describeValue(filename)}`);
  }

  override async onTrainBegin(): Promise<void> {
    this.fs = await nodeBuiltin('node:fs/promises', 'CSVLogger writing its file');
    this.keys = null;
    let existing = '';
    if (this.options.append) existing = await this.fs.readFile(this.filename, 'utf8').catch(() => '');
    // A file we append to keeps its header; otherwise the first epoch writes one.
    if (existing !== '') this.keys = existing.split('\n')[0].split(this.options.separator ?? ',').slice(1);
    else await this.fs.writeFile(this.filename, '');
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const separator = this.options.separator ?? ',';
    let text = '';
    if (this.keys === null) {
      this.keys = Object.keys(logs).sort();
      text += ['epoch', ...this.keys].join(separator) + '\n';
    }
    text += [String(epoch), ...this.keys.map((k) => (logs[k] === undefined ? 'NA' : pythonFloat(logs[k])))].join(separator) + '\n';
    await this.fs!.appendFile(this.filename, text);
  }
}
