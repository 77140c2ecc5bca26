// nabla train --augment: a batch of augmented images equals its images passed one by one through
// the library's randomHorizontalFlip and randomCrop(padding 2) (torchvision's) under the same draws;
// the targets are kept; non-image data is refused.
import { describe, expect, it } from 'vitest';
import { arange, getRngState, manualSeed, setRngState, data, stack } from '../../src/index.js';
import { augmentImages } from '../../src/cli/augment.js';
import { parseTrainArgs } from '../../src/cli/train.js';

// 6 images [1, 5, 7] with distinct pixels, and their labels
const x = arange(6 * 35)
  .reshape([6, 1, 5, 7])
  .to('float32');
const y = arange(6).to('int32');

describe('augmentImages', () => {
  for (const kind of ['flip', 'flip-crop'] as const) {
    it(`${kind}: the batch equals its images through torchvision's transforms, one by one`, () => {
      manualSeed(3);
      const state = getRngState();
      const [xb, yb] = augmentImages(kind, -1)([x, y]);
      setRngState(state);
      const one = data.transforms.compose([
        data.transforms.randomHorizontalFlip(0.5),
        ...(kind === 'flip-crop'
          ? [data.transforms.randomCrop([5, 7], { padding: 2, fill: -1 })]
          : []),
      ]);
      const want = stack(Array.from({ length: 6 }, (_, k) => one(x.select(0, k))));
      expect(xb!.tolist()).toEqual(want.tolist());
      expect(yb).toBe(y);
      // it did something: some image differs from its original, and (crop) the blank shows
      expect(xb!.tolist()).not.toEqual(x.tolist());
      if (kind === 'flip-crop') expect(xb!.flatten().tolist()).toContain(-1);
    });
  }
});

describe('nabla train --augment', () => {
  it('takes none, flip or flip-crop, for image data only', () => {
    expect(parseTrainArgs(['--data', 'digits', '--augment', 'flip-crop'])).toMatchObject({
      augment: 'flip-crop',
    });
    expect(parseTrainArgs([])).toMatchObject({ augment: 'none' });
    expect(() => parseTrainArgs(['--augment', 'rotate'])).toThrow(/--augment/);
    expect(() => parseTrainArgs(['--data', 'iris.csv', '--augment', 'flip'])).toThrow(
      '--augment flip needs image data (digits, fashion-mnist, mnist)',
    );
  });
});
