// Transforms: toTensor, normalize, compose, and the random flips and crops drawing as torchvision does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  arange,
  ArgumentError,
  DTypeError,
  Generator,
  manualSeed,
  ShapeError,
  tensor,
} from '../../src/index.js';
import { transforms, type RawImage } from '../../src/data/index.js';

const golden = (
  JSON.parse(readFileSync(new URL('../fixtures/data_golden.json', import.meta.url), 'utf8')) as {
    cases: {
      transforms: {
        flipSeed: number;
        flips: boolean[];
        cropSeed: number;
        cropInput: [number, number];
        cropSize: number;
        crops: [number, number][];
      };
    };
  }
).cases.transforms;

describe('toTensor', () => {
  it('turns [H, W, C] bytes into float32 [C, H, W] / 255', () => {
    const data = new Uint8Array([0, 255, 51, 102, 153, 204]); // 1x2 pixels, 3 channels
    const t = transforms.toTensor()({ data, shape: [1, 2, 3] });
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([3, 1, 2]);
    expect(t.tolist()).toEqual([
      [[0, Math.fround(102 / 255)]],
      [[1, Math.fround(153 / 255)]],
      [[Math.fround(51 / 255), Math.fround(204 / 255)]],
    ]);
  });

  it('takes [H, W] grayscale and ImageData-like RGBA, passes tensors through', () => {
    const g = transforms.toTensor()({ data: new Uint8Array([0, 255, 255, 0]), shape: [2, 2] });
    expect(g.shape).toEqual([1, 2, 2]);
    const rgba = transforms.toTensor()({
      data: new Uint8ClampedArray(2 * 3 * 4),
      width: 3,
      height: 2,
    });
    expect(rgba.shape).toEqual([4, 2, 3]);
    const x = tensor([1]);
    expect(transforms.toTensor()(x)).toBe(x);
    expect(() => transforms.toTensor()({ data: new Uint8Array(5), shape: [2, 2] })).toThrow(
      ShapeError,
    );
  });
});

describe('normalize and compose', () => {
  it('normalizes per channel', () => {
    const x = tensor([[[0.5, 1]], [[0, 0.25]]]);
    const y = transforms.normalize([0.5, 0.25], [0.5, 0.25])(x);
    expect(y.tolist()).toEqual([[[0, 1]], [[-1, 0]]]);
    expect(transforms.normalize(0.5, 0.5)(x).tolist()).toEqual([[[0, 1]], [[-1, -0.5]]]);
    expect(() => transforms.normalize([0], [0])(x)).toThrow(/division by zero/);
    expect(() =>
      transforms.normalize([0], [1])(tensor([1, 2], { dtype: 'int32' }).reshape([1, 1, 2])),
    ).toThrow(DTypeError);
    expect(() => transforms.normalize([0], [1])(tensor([1, 2]))).toThrow(ShapeError);
  });

  it('composes left to right, as torchvision pipelines read', () => {
    const pipeline = transforms.compose<RawImage>([
      transforms.toTensor(),
      transforms.normalize([0.5], [0.5]),
    ]);
    const out = pipeline({ data: new Uint8Array([0, 255]), shape: [1, 2] });
    expect(out.tolist()).toEqual([[[-1, 1]]]);
  });
});

describe('random transforms', () => {
  it('randomHorizontalFlip flips when torch.rand(1) < p, drawing from the global generator', () => {
    const x = tensor([[[1, 2, 3]]]);
    const flip = transforms.randomHorizontalFlip(0.5);
    manualSeed(golden.flipSeed);
    const flips = golden.flips.map(() => (flip(x).tolist() as number[][][])[0]![0]![0] === 3);
    expect(flips).toEqual(golden.flips);
    const always = transforms.randomHorizontalFlip(1, { generator: new Generator(0) });
    expect(always(x).tolist()).toEqual([[[3, 2, 1]]]);
    expect(() => transforms.randomHorizontalFlip(2)).toThrow(ArgumentError);
  });

  it('randomCrop draws the top row, then the left column, as RandomCrop.get_params', () => {
    const [h, w] = golden.cropInput;
    const img = arange(h * w).reshape([1, h, w]);
    const crop = transforms.randomCrop(golden.cropSize, {
      generator: new Generator(golden.cropSeed),
    });
    for (const [i, j] of golden.crops) {
      const out = crop(img);
      expect(out.shape).toEqual([1, golden.cropSize, golden.cropSize]);
      expect((out.tolist() as number[][][])[0]![0]![0]).toBe(i * w + j);
    }
  });

  it('randomCrop pads first (constant, edge, reflect, symmetric) and checks sizes', () => {
    const img = tensor([
      [
        [1, 2],
        [3, 4],
      ],
    ]);
    const g = new Generator(0);
    const full = (mode: 'constant' | 'edge' | 'reflect' | 'symmetric') =>
      transforms
        .randomCrop(4, { padding: 1, paddingMode: mode, fill: 9, generator: g })(img)
        .tolist();
    expect(full('constant')).toEqual([
      [
        [9, 9, 9, 9],
        [9, 1, 2, 9],
        [9, 3, 4, 9],
        [9, 9, 9, 9],
      ],
    ]);
    expect(full('edge')).toEqual([
      [
        [1, 1, 2, 2],
        [1, 1, 2, 2],
        [3, 3, 4, 4],
        [3, 3, 4, 4],
      ],
    ]);
    expect(full('reflect')).toEqual([
      [
        [4, 3, 4, 3],
        [2, 1, 2, 1],
        [4, 3, 4, 3],
        [2, 1, 2, 1],
      ],
    ]);
    expect(full('symmetric')).toEqual([
      [
        [1, 1, 2, 2],
        [1, 1, 2, 2],
        [3, 3, 4, 4],
        [3, 3, 4, 4],
      ],
    ]);
    const lr = transforms.randomCrop([2, 4], { padding: [1, 0], generator: g })(img);
    expect(lr.tolist()).toEqual([
      [
        [0, 1, 2, 0],
        [0, 3, 4, 0],
      ],
    ]);
    const grown = transforms.randomCrop(3, { padIfNeeded: true, generator: g })(img);
    expect(grown.shape).toEqual([1, 3, 3]);
    expect(() => transforms.randomCrop(3)(img)).toThrow(/larger than input image size/);
    expect(() => transforms.randomCrop(2, { padding: [1, 2, 3] })).toThrow(ArgumentError);
  });
});
