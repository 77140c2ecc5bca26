// Types for `using` scopes that compile without lib esnext.disposable or @types/node: the shipped
// .d.ts files declare Symbol.dispose themselves, as @types/node does, so a browser tsconfig
// (lib es2022 + dom) accepts them.

declare global {
  interface SymbolConstructor {
    /** The method a `using` declaration calls at the end of its block (ES2026 explicit resource management). */
    readonly dispose: unique symbol;
  }
}

/** An object a `using` declaration can hold: what it calls when the block ends. */
export interface UsingScope {
  [Symbol.dispose](): void;
}
