// Where a browser gets the wasm kernels: the URLs next to the package (resolved against
// import.meta.url, or the iife script's own URL), fetched with errors that name the URL and the
// HTTP status, and the single-threaded build inlined as base64 (a lazily imported module) for
// bundles that neither rewrite nor copy the URLs.
import { NablaError } from '../../errors.js';
import type { Bytes } from './webassembly.js';

/** The script this module was evaluated from when it has no import.meta.url (an iife bundle). */
const SCRIPT_URL = (() => {
  const doc = (globalThis as { document?: { currentScript?: { src?: string } | null } }).document;
  const src = doc?.currentScript?.src;
  return src !== undefined && src !== '' ? src : undefined;
})();

function pageUrl(): string | undefined {
  const href = (globalThis as { location?: { href?: string } }).location?.href;
  return typeof href === 'string' && href !== '' ? href : undefined;
}

function moduleUrl(): string | undefined {
  // NOTE: esbuild's iife and cjs formats replace import.meta by {}, so url is undefined there;
  // webpack replaces import.meta.url by the file: URL the module had when it was built, which a
  // page served over http(s) cannot fetch from: there the page's URL is the base.
  const url = (import.meta as { url?: string }).url;
  if (typeof url !== 'string' || url === '') return SCRIPT_URL;
  const page = pageUrl();
  return url.startsWith('file:') && page !== undefined && !page.startsWith('file:')
    ? (SCRIPT_URL ?? page)
    : url;
}

/**
 * The committed build `file` next to this package (kernels/build/ from src/ or dist/), or
 * undefined when this code knows no URL of its own (an iife bundle loaded other than by a
 * <script> tag, e.g. in a worker). The literal `new URL('…', import.meta.url)` form is the one
 * Vite and webpack 5 rewrite and copy.
 */
export function packagedWasmUrls():
  { plain: URL; relaxed: URL; mt: URL; mtRelaxed: URL } | undefined {
  if (typeof (import.meta as { url?: string }).url === 'string' && import.meta.url !== '') {
    return {
      plain: new URL('../../../kernels/build/nabla.wasm', import.meta.url),
      relaxed: new URL('../../../kernels/build/nabla-relaxed.wasm', import.meta.url),
      mt: new URL('../../../kernels/build/nabla-mt.wasm', import.meta.url),
      mtRelaxed: new URL('../../../kernels/build/nabla-mt-relaxed.wasm', import.meta.url),
    };
  }
  if (SCRIPT_URL === undefined) return undefined;
  // An iife bundle: the same relative place, from the bundle's <script src>.
  const at = (file: string) => new URL(`../../../kernels/build/${file}`, SCRIPT_URL);
  return {
    plain: at('nabla.wasm'),
    relaxed: at('nabla-relaxed.wasm'),
    mt: at('nabla-mt.wasm'),
    mtRelaxed: at('nabla-mt-relaxed.wasm'),
  };
}

/**
 * A URL the caller gave, made absolute against this module's URL, else the page's. Throws a
 * NablaError saying how to give it when there is nothing to resolve a relative URL against.
 */
export function resolveWasmUrl(url: URL | string): URL {
  if (url instanceof URL) return url;
  const base = moduleUrl() ?? pageUrl();
  try {
    return base === undefined ? new URL(url) : new URL(url, base);
  } catch {
    throw new NablaError(
      `cannot resolve the wasm kernels' URL '${url}': this code has no import.meta.url (an iife or ` +
        `cjs bundle) and no page location to resolve it against; pass an absolute URL, e.g. ` +
        `loadWasmBackend(new URL('nabla.wasm', location.href)), or the module's bytes`,
    );
  }
}

/** Why a fetch gave no bytes: the URL and the HTTP status, or the network error. */
export interface FetchFailure {
  readonly url: string;
  readonly why: string;
}

/** The bytes at `url`, or what went wrong there (never throws). */
export async function fetchWasm(url: URL): Promise<ArrayBuffer | FetchFailure> {
  try {
    const r = await fetch(url);
    if (!r.ok)
      return { url: url.href, why: `HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}` };
    return await r.arrayBuffer();
  } catch (e) {
    return { url: url.href, why: e instanceof Error ? e.message : String(e) };
  }
}

export function fetchFailed(x: ArrayBuffer | FetchFailure | undefined): x is FetchFailure {
  return x !== undefined && !(x instanceof ArrayBuffer);
}

/**
 * Whether a module uses relaxed SIMD: its code section holds f32x4.relaxed_madd (0xfd 0x85 0x02),
 * which the relaxed builds use in every FMA and the others never. NOTE: a byte scan, not a decode;
 * the threshold keeps a chance match inside an immediate from counting (the builds hold 0 or 465).
 */
export function usesRelaxedSimd(bytes: Bytes): boolean {
  const b =
    bytes instanceof ArrayBuffer
      ? new Uint8Array(bytes)
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  while (p < b.length) {
    const id = b[p++]!;
    let size = 0;
    let shift = 0;
    let c: number;
    do {
      c = b[p++]!;
      size += (c & 0x7f) * 2 ** shift;
      shift += 7;
    } while (c & 0x80 && p < b.length);
    if (id === 10) {
      let count = 0;
      for (let i = p; i + 2 < Math.min(p + size, b.length); i++)
        if (b[i] === 0xfd && b[i + 1] === 0x85 && b[i + 2] === 0x02 && ++count >= 16) return true;
      return false;
    }
    p += size;
  }
  return false;
}

/** The inlined single-threaded SIMD128 build (imported only when the URLs fail). */
export async function inlinedWasm(): Promise<Uint8Array> {
  const { NABLA_WASM_BASE64 } = await import('./inline_kernels.js');
  const atob = (globalThis as { atob?: (s: string) => string }).atob;
  if (atob === undefined) throw new NablaError('cannot decode the inlined wasm kernels: no atob');
  const text = atob(NABLA_WASM_BASE64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
