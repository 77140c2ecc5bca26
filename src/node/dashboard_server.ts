// The dashboard's HTTP server: binds 127.0.0.1 only, serves its page, the runs' snapshots, server-sent events and a few files of each run, and rejects everything else.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { DASHBOARD_PAGE, DASHBOARD_SCRIPT } from '../dashboard/page.js';
import type { DashboardEvent } from '../dashboard/events.js';
import type { DashboardRun } from '../dashboard/run.js';
import { LocalServer, contentSecurityPolicy, type LocalRequest } from './local_http.js';

export { MAX_HEADER_BYTES, MAX_URL_LENGTH, pathSegments } from './local_http.js';

/** The files of a run folder that the server hands out (/runs/<index>/<name>). */
export const RUN_FILES: Readonly<Record<string, string>> = {
  'events.jsonl': 'application/x-ndjson; charset=utf-8',
  'metrics.json': 'application/json; charset=utf-8',
  'metrics.csv': 'text/csv; charset=utf-8',
};

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

/**
 * A dashboard on http://127.0.0.1:<port>/: addRun() a run (from its files, or empty for a live
 * one), push() its events as they come; pages get a snapshot on connecting, then the events.
 */
export class DashboardServer {
  readonly #http: LocalServer;
  readonly #runs: Run[] = [];
  readonly #clients = new Set<ServerResponse>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  private constructor() {
    const hash = createHash('sha256').update(DASHBOARD_SCRIPT).digest('base64');
    const csp = contentSecurityPolicy(
      `script-src 'sha256-${hash}'`,
      "style-src 'unsafe-inline'",
      "connect-src 'self'",
      "img-src 'self' data:",
    );
    this.#http = new LocalServer(csp, (req, res, r) => this.#handle(req, res, r));
  }

  /** Starts a server listening on 127.0.0.1. */
  static async start(opts: DashboardServerOptions = {}): Promise<DashboardServer> {
    const s = new DashboardServer();
    await s.#http.listen(opts.port ?? 0);
    s.#timer = setInterval(() => s.flush(), FLUSH_MS);
    s.#heartbeat = setInterval(() => s.#send(':\n\n'), HEARTBEAT_MS);
    s.#timer.unref();
    s.#heartbeat.unref();
    return s;
  }

  get port(): number {
    return this.#http.port;
  }

  get url(): string {
    return this.#http.url;
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
    await this.#http.close();
  }

  #send(chunk: string): void {
    for (const c of this.#clients) c.write(chunk);
  }

  #handle(req: IncomingMessage, res: ServerResponse, { segments, head }: LocalRequest): void {
    const path = segments.join('/');
    if (path === '' || path === 'index.html')
      return this.#http.ok(res, head, 'text/html; charset=utf-8', DASHBOARD_PAGE);
    if (path === 'api/runs')
      return this.#http.ok(res, head, 'application/json; charset=utf-8', this.#snapshot());
    if (path === 'api/events') return this.#events(req, res, head);
    if (segments.length === 3 && segments[0] === 'runs') {
      const file = this.#runFile(segments[1]!, segments[2]!);
      if (file !== undefined)
        return this.#http.ok(res, head, RUN_FILES[segments[2]!]!, readFileSync(file));
    }
    return this.#http.fail(res, 404, 'not found');
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
      ...this.#http.baseHeaders(),
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
