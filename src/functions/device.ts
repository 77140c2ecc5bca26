// Moving tensors between backends: a copy that autograd records (its gradient is copied back).
import { Function, type FunctionCtx } from '../autograd/function.js';
import { getBackend } from '../backend/registry.js';
import type { Tensor } from '../tensor.js';
import { fromArray } from './creation.js';

/** A contiguous copy of `x` on backend `device` (no autograd). */
export function copyToDevice(x: Tensor, device: string): Tensor {
  const backend = getBackend(device);
  return fromArray(x.dataSync(), x.shape, x.dtype, { device: backend.name });
}

/** PyTorch's ToCopyBackward: the gradient goes back to the backend the input came from. */
class ToCopy extends Function {
  static override forward(ctx: FunctionCtx, x: Tensor, device: string): Tensor {
    ctx.state.from = x.device;
    return copyToDevice(x, device);
  }

  static override backward(ctx: FunctionCtx, g: Tensor): (Tensor | null)[] {
    return [copyToDevice(g, ctx.state.from as string), null];
  }
}

/** x on backend `device`: x itself when it is there already, else a differentiable copy. */
export function toDevice(x: Tensor, device: string): Tensor {
  x._assertLive();
  if (getBackend(device).name === x.device) return x;
  return ToCopy.apply(x, device);
}
