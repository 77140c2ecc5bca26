// The digits file's format (64 pixel values 0..16 and a label per line), parsed without Node: the Node dataset and the demo page share it.
import { DataError } from '../errors.js';

/** The parsed file: 64 pixels per image (times `scale`) and a label 0..9 per image. */
export interface DigitsArrays {
  readonly features: Float32Array;
  readonly targets: Int32Array;
}

/** Parses digits.csv text; `source` names the file in errors; pixels are multiplied by `scale`. */
export function parseDigitsCsv(text: string, source: string, scale = 1): DigitsArrays {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const features = new Float32Array(lines.length * 64);
  const targets = new Int32Array(lines.length);
  lines.forEach((line, i) => {
    const cells = line.split(',');
    if (cells.length !== 65) {
      throw new DataError(`${source}: line ${i + 1} has ${cells.length} values, expected 65`);
    }
    for (let k = 0; k < 65; k++) {
      const v = Number(cells[k]);
      if (cells[k]!.trim() === '' || !Number.isFinite(v)) {
        throw new DataError(
          `${source}: line ${i + 1}: ${JSON.stringify(cells[k])} is not a number`,
        );
      }
      if (k < 64) features[i * 64 + k] = v * scale;
      else if (Number.isInteger(v) && v >= 0 && v <= 9) targets[i] = v;
      else throw new DataError(`${source}: line ${i + 1}: label ${cells[k]} is not a digit 0..9`);
    }
  });
  return { features, targets };
}
