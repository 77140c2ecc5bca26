// The error hierarchy: one base class, one subclass per kind of misuse, messages in PyTorch's words.

/** Base class of every error nabla throws on purpose. */
export class NablaError extends Error {
  override name = 'NablaError';

  // NOTE: OptionError must be a TypeError (PyTorch raises TypeError for an unexpected keyword or an
  // argument of the wrong type) and a NablaError; a class has one parent, so NablaError also
  // recognises it. Subclasses keep the ordinary prototype-chain test.
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return this === NablaError && value instanceof OptionError;
  }
}

/**
 * An options object with an unknown key or a value of the wrong type, or a positional argument
 * of the wrong type: a TypeError, as in PyTorch, and also `instanceof NablaError`.
 */
export class OptionError extends TypeError {
  override name = 'OptionError';
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

/**
 * A buffer that cannot be allocated: more elements than a JavaScript typed array can hold, or
 * more memory than the engine can give (PyTorch's `OutOfMemoryError` / "can't allocate memory").
 */
export class OutOfMemoryError extends NablaError {
  override name = 'OutOfMemoryError';
}

/** Data that cannot be read: a corrupt or truncated file, a bad download, a malformed CSV. */
export class DataError extends NablaError {
  override name = 'DataError';
}

/** What is wrong with a safetensors file (or with what was given to the writer). */
export type SafetensorsErrorCode =
  | 'too_short'
  | 'header_too_large'
  | 'header_out_of_bounds'
  | 'header_not_utf8'
  | 'invalid_json'
  | 'invalid_padding'
  | 'duplicate_key'
  | 'invalid_header'
  | 'invalid_metadata'
  | 'unknown_dtype'
  | 'invalid_shape'
  | 'invalid_offsets'
  | 'size_overflow'
  | 'size_mismatch'
  | 'offsets_not_zero'
  | 'offsets_overlap'
  | 'offsets_gap'
  | 'offsets_out_of_bounds'
  | 'trailing_bytes'
  | 'value_out_of_range'
  | 'truncated'
  | 'tensor_not_found'
  | 'invalid_argument';

/** A malformed safetensors file, or arguments the safetensors writer cannot honour; `code` names the case. */
export class SafetensorsError extends DataError {
  override name = 'SafetensorsError';
  constructor(
    readonly code: SafetensorsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Anomaly mode found a NaN or Inf: `op` names the backward function (or the forward op) that
 * produced it, and `forwardStack` is the JavaScript stack of the forward call that created the node.
 */
export class AnomalyError extends NablaError {
  override name = 'AnomalyError';
  constructor(
    message: string,
    readonly op: string,
    readonly forwardStack: string | null,
  ) {
    super(message);
  }
}
