// Loading CSV files from disk (Node only): plain or gzipped, parsed into a CsvDataset by the browser-safe csvDataset.
import { defineOptions } from '../../options.js';
import { readFileSync } from 'node:fs';
import { DataError } from '../../errors.js';
import {
  CSV_DATASET_SPEC,
  csvDataset,
  type CsvDataset,
  type CsvDatasetOptions,
} from '../tabular.js';
import { maybeGunzip } from './idx.js';

/**
 * Reads a CSV file (gzipped files are detected by their magic number) into a CsvDataset: numeric
 * feature columns as a float tensor [N, F] and the `target` column, by name or index, as a vector.
 * Ragged rows, non-numeric cells and bad quoting are DataErrors naming the file and line.
 */
const LOAD_CSV = defineOptions<CsvDatasetOptions>('data.loadCsv', CSV_DATASET_SPEC);

export function loadCsv(path: string, opts: CsvDatasetOptions = {}): CsvDataset {
  LOAD_CSV.checkGiven(opts);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DataError(`${path}: cannot read CSV file (${(e as Error).message})`);
  }
  const text = new TextDecoder().decode(maybeGunzip(bytes, path));
  return csvDataset(text, { name: path, ...opts });
}
