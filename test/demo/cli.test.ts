// `nabla demo` as a user runs it: the URL printed on the port asked for, the page and only its own assets served (bad requests refused), Ctrl-C stops it; --help and usage errors.
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nabla, ROOT, startNabla } from '../helpers/cli.js';
import { ensureDemoBuilt } from '../helpers/demo.js';

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A raw HTTP request (so that odd paths and Host headers go out as written). */
async function raw(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.end(`${lines.join('\r\n')}\r\n\r\n`));
    let out = '';
    sock.on('data', (c) => (out += c.toString('latin1')));
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

beforeAll(() => ensureDemoBuilt(), 120_000);

describe('nabla demo', () => {
  it('prints the URL on --port, serves the page and its assets only, stops on Ctrl-C', async () => {
    const port = await freePort();
    const p = startNabla(['demo', '--port', String(port)]);
    const text = await p.waitFor(/Press Ctrl-C/);
    expect(text).toMatch(new RegExp(`^nabla demo: http://127\\.0\\.0\\.1:${port}/$`, 'm'));
    const url = `http://127.0.0.1:${port}/`;
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(
      /script-src 'self' 'wasm-unsafe-eval'/,
    );
    expect(await page.text()).toMatch(/<script type="module" src="demo.js"><\/script>/);
    for (const [path, type] of [
      ['demo.js', 'text/javascript; charset=utf-8'],
      ['worker.js', 'text/javascript; charset=utf-8'],
      ['katex/katex.min.css', 'text/css; charset=utf-8'],
      ['katex/fonts/KaTeX_Main-Regular.woff2', 'font/woff2'],
    ]) {
      const r = await fetch(`${url}${path}`);
      expect([path, r.status, r.headers.get('content-type')]).toEqual([path, 200, type]);
    }
    // The kernels and the digits from the package, byte for byte.
    const wasm = await fetch(`${url}kernels/build/nabla.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(Buffer.from(await wasm.arrayBuffer())).toEqual(
      readFileSync(join(ROOT, 'kernels/build/nabla.wasm')),
    );
    const digits = await fetch(`${url}data/digits.csv.gz`);
    expect(Buffer.from(await digits.arrayBuffer())).toEqual(
      readFileSync(join(ROOT, 'data/digits/digits.csv.gz')),
    );
    // Nothing else: not the package's other files, no way out of the asset table.
    for (const path of [
      'package.json',
      'src/demo/main.ts',
      'dist/demo-page/demo.js',
      'katex/fonts/x.ttf',
    ])
      expect([path, (await fetch(`${url}${path}`)).status]).toEqual([path, 404]);
    expect(
      await raw(port, ['GET /katex/../package.json HTTP/1.1', `Host: 127.0.0.1:${port}`]),
    ).toMatch(/^HTTP\/1\.1 400 /);
    expect(
      await raw(port, ['GET /%2e%2e/package.json HTTP/1.1', `Host: 127.0.0.1:${port}`]),
    ).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(port, ['GET / HTTP/1.1', 'Host: evil.example:80'])).toMatch(
      /^HTTP\/1\.1 403 /,
    );
    expect((await fetch(url, { method: 'POST', body: 'x' })).status).toBe(405);
    p.child.kill('SIGINT');
    expect(await p.waitFor(/nabla demo: stopped/)).toBeTruthy();
    expect(await p.exit).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  }, 60_000);

  it('--help; nabla --help lists it; usage errors exit 2', () => {
    const help = nabla(['demo', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: nabla demo \[options\]/);
    expect(help.stdout).toMatch(/--port <n>/);
    expect(help.stdout).toMatch(/--open/);
    expect(nabla(['--help']).stdout).toMatch(/^ {2}demo {2,}The seed lesson as a page/m);
    const bad = nabla(['demo', '--port', '70000']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^nabla: --port expects an integer from 0 to 65535, got '70000'/);
    expect(nabla(['demo', 'extra']).code).toBe(2);
  });
});
