// The error hierarchy: one base class, one subclass per kind of misuse, messages in PyTorch's words.

/** Base class of every error nabla throws on purpose. */
export class NablaError extends Error {
  override name = 'NablaError';
}

/** Shapes that do not fit: broadcasting, matmul, reshape, cat, dimensions out of range. */
export class ShapeError extends NablaError {
  override name = 'ShapeError';
}

/** A dtype an op cannot take or produce. */
export class DTypeError extends NablaError {
  override name = 'DTypeError';
}

/** Tensors on different backends mixed in one op, or a backend that is not available. */
export class DeviceError extends NablaError {
  override name = 'DeviceError';
}

/** An index outside the bounds of a dimension. */
export class IndexError extends NablaError {
  override name = 'IndexError';
}

/** Misuse of autograd: a freed graph, a modified saved tensor, an in-place op on a leaf. */
export class AutogradError extends NablaError {
  override name = 'AutogradError';
}

/** An argument that is wrong for reasons other than shape, dtype or device. */
export class ArgumentError extends NablaError {
  override name = 'ArgumentError';
}
