// `--data file.csv`: numeric features (standardised per column) and a class label column. Integer
// labels are the class indices themselves; other labels get a mapping that the run saves and reuses.
import { readFileSync } from 'node:fs';
import { csvDataset, parseCsv } from '../data/index.js';
import { maybeGunzip } from '../data/node/index.js';
import { DataError } from '../errors.js';
import { fromArray } from '../functions/creation.js';
import type { Tensor } from '../tensor.js';

export interface CsvOptions {
  /** The label column, by name (default: the last column). */
  readonly target?: string | undefined;
  /** A saved label mapping (class index → label) to use instead of making one from this file. */
  readonly labels?: readonly string[] | undefined;
  /** Keep NaN and ±Infinity feature cells instead of refusing the file. */
  readonly allowNonFinite?: boolean | undefined;
}

export interface CsvData {
  /** The standardised features [N, F]. */
  readonly x: Tensor;
  /** The class index of each row [N] (int32). */
  readonly y: Tensor;
  readonly numFeatures: number;
  readonly numClasses: number;
  /** The label of each class index. */
  readonly classNames: readonly string[];
  /**
   * The mapping the run must keep (class index → label in the file), or undefined when the labels
   * are non-negative integers and so are the class indices themselves.
   */
  readonly labels: readonly string[] | undefined;
}

/** More classes than this from integer labels is refused: they are ids, not class indices. */
export const MAX_INTEGER_LABEL = 65_535;

const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function readText(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DataError(`${path}: cannot read CSV file (${(e as Error).message})`);
  }
  return new TextDecoder().decode(maybeGunzip(bytes, path));
}

/** The label's value when it is written as a non-negative integer ('3', '3.0', '+3'), else undefined. */
function classIndex(label: string): number | undefined {
  if (!NUMBER.test(label)) return undefined;
  const v = Number(label);
  return Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** Loads a CSV file for `nabla train`, refusing non-finite cells unless allowed. */
export function loadCsvData(path: string, opts: CsvOptions = {}): CsvData {
  const text = readText(path);
  const ds = csvDataset(text, {
    name: path,
    target: opts.target ?? -1,
    encodeTarget: true,
    targetDType: 'int32',
  });
  const y0 = ds.targets;
  const found = ds.classes;
  if (y0 === undefined || found === undefined) throw new DataError(`${path}: no label column`);
  // The line of data row i (blank lines are skipped by both parsers; the header is record 0).
  let records: ReturnType<typeof parseCsv> | undefined;
  const lineOf = (row: number): number =>
    (records ??= parseCsv(text, { name: path }))[row + 1]?.line ?? row + 2;
  const rowLabels = Array.from(y0.dataSync(), (k) => found[k]!);
  const n = rowLabels.length;
  const column = JSON.stringify(ds.targetName);

  const badLabel = rowLabels.findIndex((l) => NON_FINITE.test(l));
  if (badLabel >= 0) {
    throw new DataError(
      `${path}: line ${lineOf(badLabel)}: the label ${JSON.stringify(rowLabels[badLabel])} in column ${column} is not a class`,
    );
  }

  const f = ds.featureNames.length;
  const raw = ds.features.dataSync();
  if (!opts.allowNonFinite) {
    const i = raw.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) {
      const row = Math.floor(i / f);
      throw new DataError(
        `${path}: line ${lineOf(row)}: ${String(raw[i])} in column ${JSON.stringify(ds.featureNames[i % f])}; ` +
          `NaN and Infinity cells are refused (fix the file, or pass --allow-nonfinite to keep them)`,
      );
    }
  }

  // Class indices: a saved mapping, else the integer labels themselves, else a new mapping.
  let labels: readonly string[] | undefined;
  let classNames: readonly string[];
  const y = new Int32Array(n);
  if (opts.labels !== undefined) {
    labels = opts.labels;
    classNames = labels;
    const index = new Map(labels.map((l, k) => [l, k]));
    for (let i = 0; i < n; i++) {
      const k = index.get(rowLabels[i]!);
      if (k === undefined) {
        throw new DataError(
          `${path}: line ${lineOf(i)}: the label ${JSON.stringify(rowLabels[i])} is not one of the run's classes (${labels.map((l) => JSON.stringify(l)).join(', ')})`,
        );
      }
      y[i] = k;
    }
  } else if (found.every((l) => classIndex(l) !== undefined)) {
    let max = 0;
    for (let i = 0; i < n; i++) max = Math.max(max, (y[i] = classIndex(rowLabels[i]!)!));
    if (max > MAX_INTEGER_LABEL) {
      throw new DataError(
        `${path}: the labels in column ${column} go up to ${max}; integer labels are class indices, and nabla takes at most ${MAX_INTEGER_LABEL + 1} classes`,
      );
    }
    classNames = Array.from({ length: max + 1 }, (_, k) => String(k));
  } else {
    // Numbers in numeric order, text in string order; either way the mapping is saved with the run.
    const numeric = found.every((l) => NUMBER.test(l));
    labels = numeric ? [...found].sort((a, b) => Number(a) - Number(b)) : [...found].sort();
    classNames = labels;
    const index = new Map(labels.map((l, k) => [l, k]));
    for (let i = 0; i < n; i++) y[i] = index.get(rowLabels[i]!)!;
  }

  return {
    x: fromArray(standardise(raw, n, f), [n, f], 'float32'),
    y: fromArray(y, [n], 'int32'),
    numFeatures: f,
    numClasses: classNames.length,
    classNames,
    labels,
  };
}

/**
 * Each column shifted and scaled to mean 0 and standard deviation 1 (statistics over the whole
 * file, a tabular convenience; over its finite cells, so an allowed NaN stays in its own cell).
 */
function standardise(raw: ArrayLike<number>, n: number, f: number): Float32Array {
  const out = new Float32Array(n * f);
  for (let j = 0; j < f; j++) {
    let count = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = raw[i * f + j]!;
      if (Number.isFinite(v)) {
        sum += v;
        count++;
      }
    }
    const mean = count > 0 ? sum / count : 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const v = raw[i * f + j]!;
      if (Number.isFinite(v)) sq += (v - mean) ** 2;
    }
    const std = Math.max(count > 0 ? Math.sqrt(sq / count) : 1, 1e-8);
    for (let i = 0; i < n; i++) out[i * f + j] = (raw[i * f + j]! - mean) / std;
  }
  return out;
}
