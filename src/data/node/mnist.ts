// MNIST and Fashion-MNIST (Node only): the four IDX files found on disk (or in Debian's dataset package) or downloaded with MD5 checks.
import { defineOptions, type Spec } from '../../options.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, DataError } from '../../errors.js';
import { fromArray } from '../../functions/creation.js';
import type { Tensor } from '../../tensor.js';
import { defaultCollate } from '../collate.js';
import { Dataset } from '../dataset.js';
import { checkIntegrity, downloadFile } from './download.js';
import { readIdx } from './idx.js';

export interface MNISTOptions<X = Tensor, Y = number> {
  /**
   * The directory holding the files (`train-images-idx3-ubyte[.gz]` and so on), directly or in
   * torchvision's `<root>/<Name>/raw/` layout. Without one (or when it has no files and no
   * download is asked), system copies are tried (Debian's dataset-fashion-mnist for Fashion-MNIST).
   */
  readonly root?: string;
  /** The training split (default) or the test split. */
  readonly train?: boolean;
  /** Applied to each image, a float32 tensor [1, 28, 28] with values in [0, 1]. */
  readonly transform?: (image: Tensor) => X;
  /** Applied to each label (a number 0..9). */
  readonly targetTransform?: (label: number) => Y;
  /** Download the files into `<root>/<Name>/raw/` when root lacks them (use `await X.load(...)`). */
  readonly download?: boolean;
  /** Base URLs to download from, tried in order (default: torchvision's list). */
  readonly mirrors?: readonly string[];
  /** MD5 checksums per file name, replacing the defaults (torchvision's). */
  readonly md5?: Readonly<Record<string, string>>;
  /** Per-request timeout for downloads in milliseconds (default 60 000). */
  readonly timeoutMs?: number;
}

type Resource = readonly [filename: string, md5: string];

/** Where a file of the set lies: plain or gzipped. */
function findFile(dir: string, base: string): string | undefined {
  for (const name of [base, `${base}.gz`]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Whether `dir` holds the image and label files of a split. */
function hasSplit(dir: string, train: boolean): boolean {
  const p = train ? 'train' : 't10k';
  return (
    findFile(dir, `${p}-images-idx3-ubyte`) !== undefined &&
    findFile(dir, `${p}-labels-idx1-ubyte`) !== undefined
  );
}

const MNIST_SPEC: Spec<MNISTOptions<unknown, unknown>> = {
  root: 'string',
  train: 'boolean',
  transform: 'function',
  targetTransform: 'function',
  download: 'boolean',
  mirrors: 'array',
  md5: 'object',
  timeoutMs: 'number',
};
const MNIST_OPTIONS = defineOptions<MNISTOptions<unknown, unknown>>('data.MNIST', MNIST_SPEC);
const FASHION_MNIST_OPTIONS = defineOptions<MNISTOptions<unknown, unknown>>(
  'data.FashionMNIST',
  MNIST_SPEC,
);
/** The schema that names the dataset class being made (FashionMNIST's own, else MNIST's). */
function mnistSchema(cls: unknown): typeof MNIST_OPTIONS {
  return cls === FashionMNIST || (cls as { prototype?: unknown }).prototype instanceof FashionMNIST
    ? FASHION_MNIST_OPTIONS
    : MNIST_OPTIONS;
}

/**
 * The MNIST handwritten digits (torchvision's MNIST): 60 000 training and 10 000 test images of
 * 28 x 28 bytes with labels 0..9. Item i is [image, label]: the image a float32 tensor [1, 28, 28]
 * in [0, 1] (ToTensor's), passed through `transform` when given.
 */
export class MNIST<X = Tensor, Y = number> extends Dataset<[X, Y]> {
  static readonly mirrors: readonly string[] = [
    'http://yann.lecun.com/exdb/mnist/',
    'https://ossci-datasets.s3.amazonaws.com/mnist/',
  ];
  static readonly resources: readonly Resource[] = [
    ['train-images-idx3-ubyte.gz', 'f68b3c2dcbeaaa9fbdd348bbdeb94873'],
    ['train-labels-idx1-ubyte.gz', 'd53e105ee54ea40749a09fcbcd1e9432'],
    ['t10k-images-idx3-ubyte.gz', '9fb629c4189551a2d022fa330f9573f3'],
    ['t10k-labels-idx1-ubyte.gz', 'ec29112dd5afa0611ce80d1b7f02629c'],
  ];
  static readonly classes: readonly string[] = [
    '0 - zero',
    '1 - one',
    '2 - two',
    '3 - three',
    '4 - four',
    '5 - five',
    '6 - six',
    '7 - seven',
    '8 - eight',
    '9 - nine',
  ];
  /** Directories searched when `root` has no files (system-wide installs). */
  static readonly systemDirs: readonly string[] = [];
  /** The folder name under root in torchvision's layout (`<root>/MNIST/raw`). */
  static readonly folder: string = 'MNIST';

  readonly train: boolean;
  /** The directory the files were read from. */
  readonly dir: string;
  /** All images, N x H x W bytes. */
  readonly images: Uint8Array;
  /** All labels, N bytes. */
  readonly labels: Uint8Array;
  readonly height: number;
  readonly width: number;
  readonly #transform: ((image: Tensor) => X) | undefined;
  readonly #targetTransform: ((label: number) => Y) | undefined;

  /** Loads the split from disk (synchronously). To download first, use `await MNIST.load({ download: true, ... })`. */
  constructor(opts: MNISTOptions<X, Y> = {}) {
    super();
    const cls = new.target as unknown as typeof MNIST;
    mnistSchema(cls).checkGiven(opts);
    this.train = opts.train ?? true;
    const prefix = this.train ? 'train' : 't10k';
    const dir = cls.locate(opts.root, this.train);
    if (dir === undefined) {
      const searched = cls.candidateDirs(opts.root);
      throw new DataError(
        `${cls.folder}: dataset not found (looked for ${prefix}-images-idx3-ubyte[.gz] and ${prefix}-labels-idx1-ubyte[.gz] in ${searched.length > 0 ? searched.join(', ') : 'no directory: give a root'}). ` +
          `Use \`await ${cls.name}.load({ root, download: true })\` to download it.`,
      );
    }
    this.dir = dir;
    const imagePath = findFile(dir, `${prefix}-images-idx3-ubyte`)!;
    const labelPath = findFile(dir, `${prefix}-labels-idx1-ubyte`)!;
    const images = readIdx(imagePath, { ndim: 3, type: 'uint8' });
    const labels = readIdx(labelPath, { ndim: 1, type: 'uint8' });
    if (images.shape[0] !== labels.shape[0]) {
      throw new DataError(
        `${cls.folder}: ${imagePath} holds ${images.shape[0]} images but ${labelPath} holds ${labels.shape[0]} labels`,
      );
    }
    this.images = images.data as Uint8Array;
    this.labels = labels.data as Uint8Array;
    this.height = images.shape[1]!;
    this.width = images.shape[2]!;
    this.#transform = opts.transform;
    this.#targetTransform = opts.targetTransform;
  }

  /** The directories searched for the files, in order. */
  static candidateDirs(root: string | undefined): string[] {
    const dirs =
      root === undefined ? [] : [root, join(root, this.folder, 'raw'), join(root, this.folder)];
    return [...dirs, ...this.systemDirs];
  }

  /** The first directory holding the files of the split (of either split when train is not given). */
  static locate(root: string | undefined, train?: boolean): string | undefined {
    const splits = train === undefined ? [true, false] : [train];
    return this.candidateDirs(root).find((dir) => splits.some((t) => hasSplit(dir, t)));
  }

  /**
   * Downloads the four files into `<root>/<Name>/raw/` unless they are already there with the right
   * checksums; each comes from the first mirror that serves it intact. Returns the directory.
   */
  static async download(
    root: string,
    opts: Pick<MNISTOptions, 'mirrors' | 'md5' | 'timeoutMs'> = {},
  ): Promise<string> {
    const dir = join(root, this.folder, 'raw');
    for (const [filename, defaultMd5] of this.resources) {
      const md5 = opts.md5?.[filename] ?? defaultMd5;
      if (checkIntegrity(join(dir, filename), md5)) continue;
      await downloadFile(opts.mirrors ?? this.mirrors, filename, dir, md5, {
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
    }
    return dir;
  }

  /** Downloads when asked (and root lacks the files), then loads the split. */
  static async load<X = Tensor, Y = number>(opts: MNISTOptions<X, Y> = {}): Promise<MNIST<X, Y>> {
    mnistSchema(this).checkGiven(opts);
    await this.prepare(opts);
    return new this(opts) as MNIST<X, Y>;
  }

  /** @internal The download step of load(). */
  protected static async prepare(opts: MNISTOptions<unknown, unknown>): Promise<void> {
    if (!opts.download) return;
    if (opts.root === undefined) {
      throw new ArgumentError(`${this.name}: download needs a root directory to download into`);
    }
    const train = opts.train ?? true;
    const present = [
      opts.root,
      join(opts.root, this.folder, 'raw'),
      join(opts.root, this.folder),
    ].some((dir) => hasSplit(dir, train));
    if (!present) {
      await this.download(opts.root, {
        ...(opts.mirrors !== undefined ? { mirrors: opts.mirrors } : {}),
        ...(opts.md5 !== undefined ? { md5: opts.md5 } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
    }
  }

  get length(): number {
    return this.labels.length;
  }

  /** The class names, index = label. */
  get classes(): readonly string[] {
    return (this.constructor as typeof MNIST).classes;
  }

  #check(index: number): number {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new ArgumentError(
        `${this.constructor.name}: index ${index} is out of range for length ${n}`,
      );
    }
    return index < 0 ? index + n : index;
  }

  /** The image as ToTensor makes it: float32 [1, H, W], bytes / 255. */
  image(index: number): Tensor {
    const i = this.#check(index);
    const size = this.height * this.width;
    const out = new Float32Array(size);
    const base = i * size;
    for (let k = 0; k < size; k++) out[k] = this.images[base + k]! / 255;
    return fromArray(out, [1, this.height, this.width], 'float32');
  }

  get(index: number): [X, Y] {
    const i = this.#check(index);
    const img = this.image(i);
    const label = this.labels[i]!;
    return [
      this.#transform ? this.#transform(img) : (img as X),
      this.#targetTransform ? this.#targetTransform(label) : (label as Y),
    ];
  }

  /**
   * A collated batch [images [B, 1, H, W], labels int32 [B]], built in one pass when there are no
   * transforms (the DataLoader uses this), else the default collate of the items.
   */
  getBatch(indices: readonly number[]): unknown {
    if (this.#transform !== undefined || this.#targetTransform !== undefined) {
      return defaultCollate(indices.map((i) => this.get(i)));
    }
    const size = this.height * this.width;
    const out = new Float32Array(indices.length * size);
    const labels = new Int32Array(indices.length);
    indices.forEach((index, b) => {
      const i = this.#check(index);
      const base = i * size;
      for (let k = 0; k < size; k++) out[b * size + k] = this.images[base + k]! / 255;
      labels[b] = this.labels[i]!;
    });
    return [
      fromArray(out, [indices.length, 1, this.height, this.width], 'float32'),
      fromArray(labels, [indices.length], 'int32'),
    ];
  }
}

/**
 * Zalando's Fashion-MNIST (torchvision's FashionMNIST): the same format and sizes as MNIST, ten
 * kinds of clothing. Without a root holding the files it reads Debian's dataset-fashion-mnist
 * package at /usr/share/datasets/fashion-mnist.
 */
export class FashionMNIST<X = Tensor, Y = number> extends MNIST<X, Y> {
  static override readonly mirrors: readonly string[] = [
    'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  ];
  static override readonly resources: readonly Resource[] = [
    ['train-images-idx3-ubyte.gz', '8d4fb7e6c68d591d4c3dfef9ec88bf0d'],
    ['train-labels-idx1-ubyte.gz', '25c81989df183df01b3e8a0aad5dffbe'],
    ['t10k-images-idx3-ubyte.gz', 'bef4ecab320f06d8554ea6380940ec79'],
    ['t10k-labels-idx1-ubyte.gz', 'bb300cfdad3c16e7a12a480ee83cd310'],
  ];
  static override readonly classes: readonly string[] = [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ];
  static override readonly systemDirs: readonly string[] = ['/usr/share/datasets/fashion-mnist'];
  static override readonly folder: string = 'FashionMNIST';

  static override async load<X = Tensor, Y = number>(
    opts: MNISTOptions<X, Y> = {},
  ): Promise<FashionMNIST<X, Y>> {
    await this.prepare(opts);
    return new this(opts) as FashionMNIST<X, Y>;
  }
}
