// Type-level test, compiled by `tsc -p .` (npm run typecheck) and never run: Tensor.item() is typed by the tensor's dtype.
import { isnan, nn, tensor, type Tensor } from '../../src/index.js';

/** What strict code writes in a training loop: a loss's item() is a number. */
export function runningLoss(a: Tensor, b: Tensor): number {
  let running = 0;
  const loss = nn.functional.mseLoss(a, b);
  running += loss.item();
  running += new nn.CrossEntropyLoss().forward(a, b).item();
  running += a.sub(b).square().mean().item();
  running += a.to('float64').item();
  // @ts-expect-error a comparison's item() is a boolean: it cannot be added to a number
  running += a.gt(b).item();
  return running;
}

/** Ops that always make booleans return Tensor<'bool'>, whose item() is a boolean. */
export function booleans(a: Tensor, b: Tensor): boolean[] {
  const flags: boolean[] = [
    a.gt(b).item(),
    a.eq(0).item(),
    a.le(b).logicalNot().item(),
    a.isclose(b).all().item(),
    a.isnan().any().item(),
    isnan(a).item(),
    a.bool().item(),
    a.to('bool').item(),
  ];
  // @ts-expect-error a bool tensor's item() is not a number
  const _n: number = a.lt(b).item();
  return flags;
}

/** A Tensor<'bool'> is a Tensor (masks go where tensors go); a Tensor of any dtype is not a Tensor<'bool'>. */
export function assignability(a: Tensor): Tensor {
  const mask: Tensor<'bool'> = a.isfinite();
  const _widened: Tensor = mask;
  // @ts-expect-error a Tensor of unknown dtype is not a Tensor<'bool'>
  const _narrowed: Tensor<'bool'> = a;
  return a.maskedFill(mask.logicalNot(), 0).add(tensor([1]));
}
