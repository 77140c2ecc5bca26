// The `nabla demo` server: the demo page built into dist/demo-page, KaTeX's styles and fonts, the wasm kernels and the digits, from the installed package, on 127.0.0.1 only (the dashboard's safety rules, local_http.ts).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NablaError } from '../errors.js';
import { digitsPath } from '../data/node/digits.js';
import { LocalServer, contentSecurityPolicy } from './local_http.js';

/** The package root: two levels above this module, in the repository (src/node) and the build (dist/node). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where `npm run build` (scripts/build-demo.js) puts the page. */
export const DEMO_PAGE_DIR = join(ROOT, 'dist', 'demo-page');

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  woff2: 'font/woff2',
  wasm: 'application/wasm',
  gz: 'application/gzip',
};

// NOTE: 'wasm-unsafe-eval' lets the page compile the kernels; nothing else is evaluated. KaTeX's
// output and the charts' legends carry style attributes, hence 'unsafe-inline' for styles only.
const CSP = contentSecurityPolicy(
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
);

export interface DemoServerOptions {
  /** The port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
}

/** The files the server hands out: URL path → file. Nothing else is served. */
export function demoAssets(): Map<string, string> {
  if (!existsSync(join(DEMO_PAGE_DIR, 'index.html')))
    throw new NablaError(
      `the demo page is not built (no ${join(DEMO_PAGE_DIR, 'index.html')}): run npm run build`,
    );
  const files = new Map<string, string>();
  for (const f of ['index.html', 'demo.js', 'worker.js', 'demo.css', 'katex/katex.min.css'])
    files.set(f, join(DEMO_PAGE_DIR, f));
  for (const f of readdirSync(join(DEMO_PAGE_DIR, 'katex', 'fonts')))
    if (f.endsWith('.woff2'))
      files.set(`katex/fonts/${f}`, join(DEMO_PAGE_DIR, 'katex', 'fonts', f));
  for (const f of ['nabla', 'nabla-relaxed', 'nabla-mt', 'nabla-mt-relaxed'])
    files.set(`kernels/build/${f}.wasm`, join(ROOT, 'kernels', 'build', `${f}.wasm`));
  files.set('data/digits.csv.gz', digitsPath());
  return files;
}

/** `nabla demo`'s server: start() it, read its url, close() it. */
export class DemoServer {
  readonly #http: LocalServer;
  readonly #files: Map<string, string>;

  private constructor(files: Map<string, string>) {
    this.#files = files;
    this.#http = new LocalServer(CSP, (_req, res, { segments, head }) => {
      const path = segments.length === 0 ? 'index.html' : segments.join('/');
      const file = this.#files.get(path);
      if (file === undefined || !existsSync(file)) return this.#http.fail(res, 404, 'not found');
      this.#http.ok(res, head, TYPES[path.slice(path.lastIndexOf('.') + 1)]!, readFileSync(file));
    });
  }

  static async start(opts: DemoServerOptions = {}): Promise<DemoServer> {
    const s = new DemoServer(demoAssets());
    await s.#http.listen(opts.port ?? 0);
    return s;
  }

  get port(): number {
    return this.#http.port;
  }

  get url(): string {
    return this.#http.url;
  }

  close(): Promise<void> {
    return this.#http.close();
  }
}
