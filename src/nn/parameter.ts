// Parameters: leaf tensors that a Module registers by assignment and an optimizer updates.
import { Tensor } from '../tensor.js';

const parameters = new WeakSet<Tensor>();

/**
 * nn.Parameter: a leaf tensor over the same data that requires grad (unless told otherwise) and
 * that a Module registers when it is assigned to one of its properties.
 */
export function Parameter(data: Tensor, requiresGrad = true): Tensor {
  const p = data._alias();
  if (requiresGrad) p.requiresGrad = true;
  parameters.add(p);
  return p;
}

export function isParameter(x: unknown): x is Tensor {
  return x instanceof Tensor && parameters.has(x);
}
