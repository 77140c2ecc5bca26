// What the demo page asks of its training workers (nabla/worker): the build() configs of the trouble lab and the digits panel, and the digits worker's classify request.
import type { DeepMlpOptions } from './nets.js';

/** A trouble-lab run: the network, the optimizer's learning rate, clipping and the number of steps. */
export interface TroubleConfig {
  readonly net: Omit<DeepMlpOptions, 'inFeatures' | 'classes'>;
  readonly lr: number;
  /** Clip the total gradient norm to this before each step (null: no clipping). */
  readonly clip: number | null;
  readonly steps: number;
}

/** What build() takes: which panel's trainer, with the digits' URL (the worker fetches them). */
export type DemoConfig =
  | { readonly kind: 'trouble'; readonly dataUrl: string; readonly run: TroubleConfig }
  | { readonly kind: 'digits'; readonly dataUrl: string; readonly epochs: number };

/** The requests the digits trainer serves besides training. */
export interface DigitsRequests {
  readonly [name: string]: (payload: never) => unknown;
  /** The trained model's class probabilities for 64 pixels with intensities 0–16. */
  classify(pixels: readonly number[]): number[];
}
