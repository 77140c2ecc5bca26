// The safety rules of nabla's local HTTP servers (the dashboard, the demo): 127.0.0.1 only, GET and HEAD only, no request bodies, short URLs and headers, our own Host names, paths as plain segments, strict response headers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** The only address the servers listen on. */
export const HOST = '127.0.0.1';
/** The longest request target accepted (414 beyond it). */
export const MAX_URL_LENGTH = 2048;
/** The most header bytes Node's parser accepts (431 beyond it). */
export const MAX_HEADER_BYTES = 16 * 1024;

/**
 * A content security policy: nothing allowed but `directives`, and never a <base>, a form
 * submission or a frame around the page.
 */
export function contentSecurityPolicy(...directives: string[]): string {
  return [
    "default-src 'none'",
    ...directives,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A request that passed the checks: its decoded path segments, and whether it is a HEAD. */
export interface LocalRequest {
  readonly segments: readonly string[];
  readonly head: boolean;
}

/**
 * A server on 127.0.0.1 whose `handle` sees only requests that passed the checks (others get
 * their 4xx here), with `csp` as every response's content security policy.
 */
export class LocalServer {
  readonly #server: Server;
  readonly #csp: string;
  #port = 0;

  constructor(
    csp: string,
    handle: (req: IncomingMessage, res: ServerResponse, r: LocalRequest) => void,
  ) {
    this.#csp = csp;
    this.#server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
      try {
        const r = this.#check(req, res);
        if (r !== undefined) handle(req, res, r);
      } catch (e) {
        if (!res.headersSent) this.fail(res, 500, `internal error: ${(e as Error).message}`);
        else res.destroy();
      }
    });
  }

  /** Listens on 127.0.0.1:port (0: any free port). */
  async listen(port: number): Promise<void> {
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, HOST, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const addr = this.#server.address();
    this.#port = typeof addr === 'object' && addr !== null ? addr.port : port;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://${HOST}:${this.#port}/`;
  }

  /** Stops listening and closes the idle connections. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }

  /** The headers every response carries. */
  baseHeaders(): Record<string, string> {
    return {
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': this.#csp,
    };
  }

  fail(res: ServerResponse, status: number, message: string, headers: object = {}): void {
    res
      .writeHead(status, {
        ...this.baseHeaders(),
        'Content-Type': 'text/plain; charset=utf-8',
        Connection: 'close',
        ...headers,
      })
      .end(`${status} ${message}\n`);
  }

  ok(res: ServerResponse, head: boolean, type: string, body: string | Buffer): void {
    res.writeHead(200, {
      ...this.baseHeaders(),
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(head ? undefined : body);
  }

  #check(req: IncomingMessage, res: ServerResponse): LocalRequest | undefined {
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD')
      return void this.fail(res, 405, `method ${method} not allowed`, { Allow: 'GET, HEAD' });
    const length = Number(req.headers['content-length'] ?? 0);
    if (req.headers['transfer-encoding'] !== undefined || !(length === 0))
      return void this.fail(res, 413, 'a request body is not accepted');
    const target = req.url ?? '/';
    if (target.length > MAX_URL_LENGTH)
      return void this.fail(res, 414, `URL longer than ${MAX_URL_LENGTH} characters`);
    const host = req.headers.host ?? '';
    // NOTE: only our own host names, so that a page on another site cannot reach this server
    // through a DNS name it rebinds to 127.0.0.1.
    if (host !== `${HOST}:${this.#port}` && host !== `localhost:${this.#port}`)
      return void this.fail(res, 403, `unexpected Host header '${host}'`);
    const segments = pathSegments(target);
    if (segments === undefined) return void this.fail(res, 400, 'bad path');
    return { segments, head: method === 'HEAD' };
  }
}

/**
 * The decoded segments of a request target's path (its query dropped), or undefined when a
 * segment is '.', '..', empty inside the path, badly encoded, or decodes to a slash, backslash or
 * NUL: the servers never resolve a path against a folder, and refuse to guess.
 */
export function pathSegments(target: string): string[] | undefined {
  if (!target.startsWith('/')) return undefined;
  const path = target.split(/[?#]/, 1)[0]!;
  if (path === '/') return [];
  const out: string[] = [];
  for (const raw of path.slice(1).split('/')) {
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s)) return undefined;
    out.push(s);
  }
  return out;
}
