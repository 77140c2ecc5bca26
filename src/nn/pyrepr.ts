// Python's repr of floats, booleans and tuples, for extraRepr strings that match PyTorch's printing.

/** repr(float): shortest round-trip digits, '1.0', '0.1', '1e-05', '1e+16', 'inf', 'nan'. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e') as [string, string];
  const e = Number(expStr);
  // NOTE: Python switches to exponent notation when the exponent is below -4 or at least 16.
  if (e < -4 || e >= 16)
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const sign = x < 0 ? '-' : '';
  const digits = mant.replace('-', '').replace('.', '');
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  const int = digits.slice(0, e + 1).padEnd(e + 1, '0');
  const frac = digits.slice(e + 1);
  return `${sign}${int}.${frac === '' ? '0' : frac}`;
}

export function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}

/** repr(tuple) of integers: (8,) or (3, 4). */
export function pyTuple(xs: readonly number[]): string {
  return xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`;
}
