// The slice of the WebAssembly JS API the wasm backend uses, typed here because the core compiles
// without the DOM library (and Node's types declare only part of the namespace).
export type Bytes = ArrayBuffer | ArrayBufferView;

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

export interface WasmGlobal {
  value: number;
}

/** A compiled module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmApi {
  readonly Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  readonly Module: {
    imports(m: WasmModule): { module: string; name: string; kind: string }[];
  };
  readonly Instance: new (m: WasmModule, imports: object) => WasmInstance;
  validate(bytes: Bytes): boolean;
  compile(bytes: Bytes): Promise<WasmModule>;
  instantiate(m: WasmModule, imports: object): Promise<WasmInstance>;
}

export const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
