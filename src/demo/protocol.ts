// The messages between the demo page and its training workers (structured-clone data only).
import type { DeepMlpOptions } from './nets.js';

/** A trouble-lab run: the network, the optimizer's learning rate, clipping and the number of steps. */
export interface TroubleConfig {
  readonly net: Omit<DeepMlpOptions, 'inFeatures' | 'classes'>;
  readonly lr: number;
  /** Clip the total gradient norm to this before each step (null: no clipping). */
  readonly clip: number | null;
  readonly steps: number;
}

export type WorkerRequest =
  | {
      readonly type: 'trouble';
      /** Which run of the page this is: the replies carry it, so that a stopped run's are told apart. */
      readonly run: number;
      readonly config: TroubleConfig;
      readonly dataUrl: string;
    }
  | { readonly type: 'digits'; readonly epochs: number; readonly dataUrl: string }
  | { readonly type: 'classify'; readonly pixels: readonly number[] }
  | { readonly type: 'stop' };

/** A health-monitor diagnosis, as the page shows it. */
export interface Finding {
  readonly kind: string;
  readonly severity: 'warning' | 'error';
  readonly title: string;
  readonly message: string;
  readonly remedies: readonly string[];
}

export type WorkerReply =
  | { readonly type: 'ready'; readonly backend: string }
  | { readonly type: 'layers'; readonly run: number; readonly names: readonly string[] }
  | {
      readonly type: 'trouble-step';
      readonly run: number;
      readonly step: number;
      readonly loss: number;
      /** ‖∂L/∂θ‖ of each weight layer, in the order of `layers`. */
      readonly norms: readonly number[];
    }
  | {
      readonly type: 'diagnosis';
      readonly run: number;
      readonly steps: number;
      readonly findings: readonly Finding[];
      readonly done: boolean;
    }
  | {
      readonly type: 'digits-progress';
      readonly epoch: number;
      readonly step: number;
      readonly loss: number;
    }
  | {
      readonly type: 'digits-epoch';
      readonly epoch: number;
      readonly step: number;
      readonly accuracy: number;
    }
  | { readonly type: 'digits-done'; readonly accuracy: number }
  | { readonly type: 'probs'; readonly probs: readonly number[] }
  | { readonly type: 'error'; readonly message: string };
