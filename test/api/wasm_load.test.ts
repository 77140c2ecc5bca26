// loadWasmBackend's failures name the URL tried and the HTTP status; the inlined fallback is the
// committed single-threaded build; an explicitly loaded relaxed build is labelled relaxed.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWasmBackend } from '../../src/index.js';
import { inlinedWasm, resolveWasmUrl, usesRelaxedSimd } from '../../src/backend/wasm/locate.js';

const build = (f: string) => readFileSync(new URL(`../../kernels/build/${f}`, import.meta.url));
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
});
afterAll(() => server?.close());

describe('loading the wasm kernels', () => {
  it('a 404 names the URL tried and the status', async () => {
    await expect(
      loadWasmBackend(`${base}/kernels/nabla.wasm`, { register: false }),
    ).rejects.toThrow(`could not load the wasm kernels from ${base}/kernels/nabla.wasm: HTTP 404`);
  });

  it("a relaxed URL resolves against the module, or the page's when the module's is a file: URL", () => {
    // Node: against this module's own file: URL.
    expect(resolveWasmUrl('nabla.wasm').href).toBe(
      new URL('../../src/backend/wasm/nabla.wasm', import.meta.url).href,
    );
    // A page over http whose bundler (webpack) baked its build-time file: URL into import.meta.url.
    const g = globalThis as { location?: { href: string } };
    g.location = { href: 'http://127.0.0.1:8080/app/index.html' };
    try {
      expect(resolveWasmUrl('nabla.wasm').href).toBe('http://127.0.0.1:8080/app/nabla.wasm');
    } finally {
      delete g.location;
    }
  });

  it('the inlined kernels are kernels/build/nabla.wasm (rerun scripts/inline-wasm.js)', async () => {
    expect(Buffer.from(await inlinedWasm()).equals(build('nabla.wasm'))).toBe(true);
  });

  it('tells the relaxed-SIMD builds from the others by their code', () => {
    expect(usesRelaxedSimd(build('nabla.wasm'))).toBe(false);
    expect(usesRelaxedSimd(build('nabla-mt.wasm'))).toBe(false);
    expect(usesRelaxedSimd(build('nabla-relaxed.wasm'))).toBe(true);
    expect(usesRelaxedSimd(build('nabla-mt-relaxed.wasm'))).toBe(true);
  });

  it('labels module bytes by what they are', async () => {
    const plain = await loadWasmBackend(build('nabla.wasm'), { name: 'wasm-l1', register: false });
    expect(plain.version).toBe('simd128');
  });
});
