// The dashboard's HTTP server: binds 127.0.0.1 only, serves its page, the runs' snapshots, server-sent events and a few files of each run, and rejects everything else.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { DASHBOARD_PAGE, DASHBOARD_SCRIPT } from '../dashboard/page.js';
import type { DashboardEvent } from '../dashboard/events.js';
import type { DashboardRun } from '../dashboard/run.js';

/** The files of a run folder that the server hands out (/runs/<index>/<name>). */
export const RUN_FILES: Readonly<Record<string, string>> = {
  'events.jsonl': 'application/x-ndjson; charset=utf-8',
  'metrics.json': 'application/json; charset=utf-8',
  'metrics.csv': 'text/csv; charset=utf-8',
};

/** The longest request target accepted (414 beyond it). */
export const MAX_URL_LENGTH = 2048;
/** The most header bytes Node's parser accepts (431 beyond it). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** How often queued events go out to the pages, in milliseconds. */
const FLUSH_MS = 200;
/** A comment line every so often keeps idle event streams open through proxies and sleep. */
const HEARTBEAT_MS = 15_000;

export interface DashboardServerOptions {
  /** The port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
}

interface Run {
  readonly state: DashboardRun;
  /** The run's folder, whose RUN_FILES are served. */
  readonly dir: string | undefined;
  pending: DashboardEvent[];
}

const HOST = '127.0.0.1';

/**
 * A dashboard on http://127.0.0.1:<port>/: addRun() a run (from its files, or empty for a live
 * one), push() its events as they come; pages get a snapshot on connecting, then the events.
 */
export class DashboardServer {
  readonly #server: Server;
  readonly #runs: Run[] = [];
  readonly #clients = new Set<ServerResponse>();
  readonly #csp: string;
  #timer: ReturnType<typeof setInterval> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #port = 0;
  #closed = false;

  private constructor() {
    const hash = createHash('sha256').update(DASHBOARD_SCRIPT).digest('base64');
    this.#csp = [
      "default-src 'none'",
      `script-src 'sha256-${hash}'`,
      "style-src 'unsafe-inline'",
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
    this.#server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
      try {
        this.#handle(req, res);
      } catch (e) {
        if (!res.headersSent) this.#fail(res, 500, `internal error: ${(e as Error).message}`);
        else res.destroy();
      }
    });
  }

  /** Starts a server listening on 127.0.0.1. */
  static async start(opts: DashboardServerOptions = {}): Promise<DashboardServer> {
    const port = opts.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
    const s = new DashboardServer();
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject);
      s.#server.listen(port, HOST, () => {
        s.#server.off('error', reject);
        resolve();
      });
    });
    const addr = s.#server.address();
    s.#port = typeof addr === 'object' && addr !== null ? addr.port : port;
    s.#timer = setInterval(() => s.flush(), FLUSH_MS);
    s.#heartbeat = setInterval(() => s.#send(':\n\n'), HEARTBEAT_MS);
    s.#timer.unref();
    s.#heartbeat.unref();
    return s;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://${HOST}:${this.#port}/`;
  }

  /** The runs, in the order they were added. */
  get runs(): readonly DashboardRun[] {
    return this.#runs.map((r) => r.state);
  }

  /** Adds a run (its folder's files become downloadable); returns its index. */
  addRun(state: DashboardRun, dir?: string): number {
    this.#runs.push({ state, dir, pending: [] });
    const index = this.#runs.length - 1;
    this.#send(sse('run', { index, run: state.snapshot() }));
    return index;
  }

  /** Adds an event of run `index`: folded into its state now, sent to the pages at the next flush. */
  push(index: number, e: DashboardEvent): void {
    const run = this.#runs[index];
    if (run === undefined) throw new RangeError(`no run ${index}`);
    run.state.ingest(e);
    if (this.#clients.size > 0) run.pending.push(e);
  }

  /** Sends the queued events now. */
  flush(): void {
    this.#runs.forEach((run, index) => {
      if (run.pending.length === 0) return;
      this.#send(sse('events', { index, events: run.pending }));
      run.pending = [];
    });
  }

  /** Sends what is queued, tells the pages the server stops, and closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.flush();
    this.#send(sse('bye', {}));
    clearInterval(this.#timer);
    clearInterval(this.#heartbeat);
    for (const c of this.#clients) c.end();
    this.#clients.clear();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }

  #send(chunk: string): void {
    for (const c of this.#clients) c.write(chunk);
  }

  #fail(res: ServerResponse, status: number, message: string, headers: object = {}): void {
    res
      .writeHead(status, {
        ...this.#baseHeaders(),
        'Content-Type': 'text/plain; charset=utf-8',
        Connection: 'close',
        ...headers,
      })
      .end(`${status} ${message}\n`);
  }

  #baseHeaders(): Record<string, string> {
    return {
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': this.#csp,
    };
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD')
      return this.#fail(res, 405, `method ${method} not allowed`, { Allow: 'GET, HEAD' });
    const length = Number(req.headers['content-length'] ?? 0);
    if (req.headers['transfer-encoding'] !== undefined || !(length === 0))
      return this.#fail(res, 413, 'a request body is not accepted');
    const target = req.url ?? '/';
    if (target.length > MAX_URL_LENGTH)
      return this.#fail(res, 414, `URL longer than ${MAX_URL_LENGTH} characters`);
    const host = req.headers.host ?? '';
    // NOTE: only our own host names, so that a page on another site cannot reach this server
    // through a DNS name it rebinds to 127.0.0.1.
    if (host !== `${HOST}:${this.#port}` && host !== `localhost:${this.#port}`)
      return this.#fail(res, 403, `unexpected Host header '${host}'`);
    const segments = pathSegments(target);
    if (segments === undefined) return this.#fail(res, 400, 'bad path');
    const head = method === 'HEAD';
    const path = segments.join('/');
    if (path === '' || path === 'index.html')
      return this.#ok(res, head, 'text/html; charset=utf-8', DASHBOARD_PAGE);
    if (path === 'api/runs')
      return this.#ok(res, head, 'application/json; charset=utf-8', this.#snapshot());
    if (path === 'api/events') return this.#events(req, res, head);
    if (segments.length === 3 && segments[0] === 'runs') {
      const file = this.#runFile(segments[1]!, segments[2]!);
      if (file !== undefined)
        return this.#ok(res, head, RUN_FILES[segments[2]!]!, readFileSync(file));
    }
    return this.#fail(res, 404, 'not found');
  }

  #ok(res: ServerResponse, head: boolean, type: string, body: string | Buffer): void {
    res.writeHead(200, {
      ...this.#baseHeaders(),
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(head ? undefined : body);
  }

  #snapshot(): string {
    return JSON.stringify({ runs: this.#runs.map((r) => r.state.snapshot()) });
  }

  #runFile(index: string, name: string): string | undefined {
    if (!/^\d+$/.test(index) || RUN_FILES[name] === undefined) return undefined;
    const dir = this.#runs[Number(index)]?.dir;
    if (dir === undefined) return undefined;
    const file = join(dir, name);
    return existsSync(file) && statSync(file).isFile() ? file : undefined;
  }

  #events(req: IncomingMessage, res: ServerResponse, head: boolean): void {
    res.writeHead(200, {
      ...this.#baseHeaders(),
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    if (head || this.#closed) {
      res.end();
      return;
    }
    // The events queued so far are in the snapshot already: send them to the other pages first.
    this.flush();
    res.write(`event: snapshot\ndata: ${this.#snapshot()}\n\n`);
    this.#clients.add(res);
    req.on('close', () => this.#clients.delete(res));
  }
}

/** One server-sent event. */
const sse = (event: string, data: object): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * The decoded segments of a request target's path (its query dropped), or undefined when a
 * segment is '.', '..', empty inside the path, badly encoded, or decodes to a slash, backslash or
 * NUL: the server never resolves a path against a folder, and refuses to guess.
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
