// `nabla train --augment`: random horizontal flips and shifted crops of the training images, drawn per sample and applied to the whole batch in a few ops.
import { where } from '../functions/elementwise.js';
import { fromArray } from '../functions/creation.js';
import { flip, gather, pad } from '../functions/shape_ops.js';
import { defaultGenerator } from '../random.js';
import type { Tensor } from '../tensor.js';

export const AUGMENT_NAMES = ['none', 'flip', 'flip-crop'] as const;
export type AugmentName = (typeof AUGMENT_NAMES)[number];

/** How far a crop may shift the image (torchvision's RandomCrop(size, padding=2)). */
const SHIFT = 2;

/**
 * A Trainer's trainTransform for image batches [N, C, H, W]: each image flipped left-right with
 * probability 1/2 and (flip-crop) cropped back to H×W from the image padded by 2 on every side
 * with `blank` (the value a 0 pixel has after normalisation), as torchvision's
 * RandomHorizontalFlip and RandomCrop(size, padding=2) do to each sample. The draws come from the
 * library generator image by image in their order (the flip, then the crop's row and column), so
 * a batch equals its images passed one by one through those transforms.
 */
export function augmentImages(
  kind: Exclude<AugmentName, 'none'>,
  blank: number,
): (batch: readonly Tensor[]) => Tensor[] {
  const crop = kind === 'flip-crop';
  const half = Math.fround(0.5);
  return ([x, ...rest]) => {
    const [n, c, h, w] = x!.shape as [number, number, number, number];
    const flips = new Uint8Array(n);
    const rows = new Int32Array(n);
    const cols = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      flips[k] = defaultGenerator.uniform24() < half ? 1 : 0;
      if (crop) {
        rows[k] = defaultGenerator.below(2 * SHIFT + 1);
        cols[k] = defaultGenerator.below(2 * SHIFT + 1);
      }
    }
    let out = where(fromArray(flips, [n, 1, 1, 1], 'bool'), flip(x!, 3), x!);
    if (crop) {
      // out[k, :, r, q] = padded[k, :, r + rows[k], q + cols[k]]: one gather over the planes.
      const [ph, pw] = [h + 2 * SHIFT, w + 2 * SHIFT];
      const padded = pad(out, [SHIFT, SHIFT, SHIFT, SHIFT], { value: blank });
      const index = new Int32Array(n * c * h * w);
      let at = 0;
      for (let k = 0; k < n; k++)
        for (let ch = 0; ch < c; ch++)
          for (let r = 0; r < h; r++) {
            const base = (r + rows[k]!) * pw + cols[k]!;
            for (let q = 0; q < w; q++) index[at++] = base + q;
          }
      const planes = padded.reshape([n, c, ph * pw]);
      out = gather(planes, 2, fromArray(index, [n, c, h * w], 'int32')).reshape([n, c, h, w]);
    }
    return [out, ...rest];
  };
}
