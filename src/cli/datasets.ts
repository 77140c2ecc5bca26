// The datasets `nabla train --data` accepts, loaded as whole normalised tensors and split into
// train / validation / test with a fixed seed (the same split whatever --seed is).
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Subset, TensorDataset, randomSplit } from '../data/index.js';
import { Digits, FashionMNIST, MNIST } from '../data/node/index.js';
import { DataError } from '../errors.js';
import { fromArray } from '../functions/creation.js';
import { Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { loadCsvData, type CsvOptions } from './csv_data.js';

export type Split = TensorDataset | Subset<Tensor[]>;

export interface LoadedData {
  readonly name: string;
  readonly train: Split;
  readonly val: Split;
  readonly test: Split;
  /** The shape of one sample ([C, H, W] for images, [F] for tabular data). */
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /**
   * The labels of a CSV file's classes by index, when they are not the indices themselves (text
   * labels): the run saves this mapping and reuses it (resume, export).
   */
  readonly labels?: readonly string[] | undefined;
  /** Image data: the value a 0 (blank) pixel has after normalisation, what augmentation pads with. */
  readonly blank?: number | undefined;
}

/** The seed of the fixed data split (independent of --seed, so runs compare on the same test set). */
const SPLIT_SEED = 1234;

function split(ds: TensorDataset, fractions: readonly number[]): Subset<Tensor[]>[] {
  return randomSplit(ds, fractions, { generator: new Generator(SPLIT_SEED) }) as Subset<Tensor[]>[];
}

function images(
  pixels: Uint8Array,
  n: number,
  h: number,
  w: number,
  mean: number,
  std: number,
): Tensor {
  const x = new Float32Array(n * h * w);
  for (let i = 0; i < x.length; i++) x[i] = (pixels[i]! / 255 - mean) / std;
  return fromArray(x, [n, 1, h, w], 'float32');
}

function labels(src: ArrayLike<number>): Tensor {
  return fromArray(Int32Array.from(src), [src.length], 'int32');
}

/** What a CLI user does about missing MNIST / Fashion-MNIST files: flags and packages, not calls. */
function notFound(
  kind: 'mnist' | 'fashion-mnist',
  Cls: typeof MNIST,
  dir: string,
  train: boolean,
  given: string | undefined,
): DataError {
  const prefix = train ? 'train' : 't10k';
  const where = Cls.candidateDirs(dir).join(', ');
  const debian = kind === 'fashion-mnist' ? ", install Debian's package dataset-fashion-mnist" : '';
  return new DataError(
    `--data ${kind}: files not found (looked for ${prefix}-images-idx3-ubyte[.gz] and ${prefix}-labels-idx1-ubyte[.gz] in ${where}). ` +
      `Download the four IDX files (from ${Cls.mirrors.at(-1)!}) into ${given ?? './data'}${debian}, or pass --data-dir <folder> that holds them.`,
  );
}

function mnistLike(kind: 'mnist' | 'fashion-mnist', root: string | undefined): LoadedData {
  const Cls = kind === 'mnist' ? MNIST : FashionMNIST;
  // Per-dataset normalisation constants (the training set's pixel mean and std).
  const [mean, std] = kind === 'mnist' ? [0.1307, 0.3081] : [0.286, 0.353];
  // Without --data-dir: ./data (torchvision's layout works too), then the system-wide installs.
  const dir = root ?? 'data';
  for (const train of [true, false]) {
    if (Cls.locate(dir, train) === undefined) throw notFound(kind, Cls, dir, train, root);
  }
  const opts = { root: dir };
  const trainSet = new Cls({ ...opts, train: true });
  const testSet = new Cls({ ...opts, train: false });
  const { height: h, width: w } = trainSet;
  const full = new TensorDataset(
    images(trainSet.images, trainSet.length, h, w, mean, std),
    labels(trainSet.labels),
  );
  const [train, val] = split(full, [trainSet.length - 5000, 5000]);
  const test = new TensorDataset(
    images(testSet.images, testSet.length, h, w, mean, std),
    labels(testSet.labels),
  );
  return {
    name: kind,
    train: train!,
    val: val!,
    test,
    inputShape: [1, h, w],
    numClasses: 10,
    classNames: [...trainSet.classes],
    blank: (0 - mean) / std,
  };
}

function digits(): LoadedData {
  const d = new Digits({ shape: 'image' });
  const n = d.length;
  const full = new TensorDataset(fromArray(d.features, [n, 1, 8, 8], 'float32'), labels(d.targets));
  const [train, val, test] = split(full, [0.7, 0.1, 0.2]);
  return {
    name: 'digits',
    train: train!,
    val: val!,
    test: test!,
    inputShape: [1, 8, 8],
    numClasses: 10,
    classNames: Digits.classes.map(String),
    blank: 0,
  };
}

function csv(path: string, opts: LoadOptions): LoadedData {
  const d = loadCsvData(path, opts);
  const [train, val, test] = split(new TensorDataset(d.x, d.y), [0.7, 0.15, 0.15]);
  return {
    name: path,
    train: train!,
    val: val!,
    test: test!,
    inputShape: [d.numFeatures],
    numClasses: d.numClasses,
    classNames: d.classNames,
    labels: d.labels,
  };
}

export const DATA_NAMES = ['digits', 'fashion-mnist', 'mnist'] as const;

/** How loadData reads --data (dataDir: MNIST files; the rest: CSV files). */
export interface LoadOptions extends CsvOptions {
  readonly dataDir?: string | undefined;
}

/** Loads --data: a named dataset, or a path to a .csv file (the target column defaults to the last). */
export function loadData(spec: string, opts: LoadOptions): LoadedData {
  if (spec === 'digits') return digits();
  if (spec === 'mnist' || spec === 'fashion-mnist') return mnistLike(spec, opts.dataDir);
  if (existsSync(spec) && statSync(spec).isFile() && extname(spec).toLowerCase() === '.csv')
    return csv(spec, opts);
  throw new DataError(
    `unknown --data '${spec}': expected ${DATA_NAMES.join(', ')}, or the path of a .csv file (numeric columns, label in the last column)`,
  );
}

function firstN(ds: Split, n: number): Split {
  return n >= ds.length
    ? ds
    : new Subset(
        ds,
        Array.from({ length: n }, (_, i) => i),
      );
}

/** --limit: the first n training samples and proportionally fewer validation and test samples. */
export function limitData(data: LoadedData, limit: number | undefined): LoadedData {
  if (limit === undefined) return data;
  const small = Math.max(1, Math.floor(limit / 5));
  return {
    ...data,
    train: firstN(data.train, limit),
    val: firstN(data.val, small),
    test: firstN(data.test, small),
  };
}
