// Options objects (PyTorch's keyword arguments): an unknown key is a TypeError naming it, as Python's.

/** Throws PyTorch's TypeError for the first key of `opts` that `known` does not list. */
export function checkOptions(op: string, opts: object | undefined, known: readonly string[]): void {
  if (opts === undefined || opts === null) return;
  for (const key of Object.keys(opts)) {
    if (!known.includes(key))
      throw new TypeError(`${op}() got an unexpected keyword argument '${key}'`);
  }
}
