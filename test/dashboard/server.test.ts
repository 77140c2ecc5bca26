// The dashboard server through a plain node:http client: what it serves (page, snapshot, events, a run's files) and every request it must refuse.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_SCRIPT } from '../../src/dashboard/page.js';
import { DashboardRun, type RunSnapshot } from '../../src/dashboard/run.js';
import { DashboardServer, MAX_URL_LENGTH, pathSegments } from '../../src/node/dashboard_server.js';
import { tmp } from '../helpers/cli.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let server: DashboardServer;
let dir = '';

/** One request as a plain client sends it: the path goes out byte for byte, unnormalised. */
function send(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

beforeAll(async () => {
  dir = tmp('nabla-dashboard-');
  writeFileSync(join(dir, 'metrics.csv'), 'epoch,trainLoss\n1,0.5\n');
  writeFileSync(join(dir, 'model.safetensors'), 'not served');
  server = await DashboardServer.start({ port: 0 });
  const run = new DashboardRun('a');
  server.addRun(run, dir);
  server.push(0, { type: 'scalars', time: 1, step: 1, values: { 'train/loss': 2.5 } });
});

afterAll(async () => {
  await server.close();
});

describe('the dashboard server serves', () => {
  it('on 127.0.0.1 only, and says its URL', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.port).toBeGreaterThan(0);
    // 127.0.0.2 is loopback too: a server bound to every address would answer there.
    const other = new Promise((resolve, reject) =>
      request({ host: '127.0.0.2', port: server.port, path: '/' }, resolve)
        .on('error', reject)
        .end(),
    );
    await expect(other).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('its page, with a content security policy that allows only its own inline script', async () => {
    const r = await send('/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('<title>nabla dashboard</title>');
    const hash = createHash('sha256').update(DASHBOARD_SCRIPT).digest('base64');
    expect(r.headers['content-security-policy']).toContain(`script-src 'sha256-${hash}'`);
    expect(r.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    // No address outside the server in the page: it needs no network.
    expect(r.body).not.toMatch(/https?:\/\//);
  });

  it('HEAD: the headers without the body', async () => {
    const r = await send('/', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(Number(r.headers['content-length'])).toBeGreaterThan(1000);
    expect(r.body).toBe('');
  });

  it('the runs as JSON', async () => {
    const r = await send('/api/runs');
    expect(r.status).toBe(200);
    const runs = (JSON.parse(r.body) as { runs: { name: string; scalars: object }[] }).runs;
    expect(runs.map((x) => x.name)).toEqual(['a']);
    expect(runs[0]!.scalars).toEqual({ 'train/loss': [[1, 1, 2.5]] });
  });

  it("a run's listed files, and none other", async () => {
    const csv = await send('/runs/0/metrics.csv');
    expect(csv.status).toBe(200);
    expect(csv.body).toBe('epoch,trainLoss\n1,0.5\n');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect((await send('/runs/0/model.safetensors')).status).toBe(404);
    expect((await send('/runs/0/metrics.json')).status).toBe(404); // listed, but not there
    expect((await send('/runs/1/metrics.csv')).status).toBe(404);
    expect((await send('/package.json')).status).toBe(404);
  });

  it('server-sent events: a snapshot first, then the events pushed, then bye on close', async () => {
    const other = await DashboardServer.start({ port: 0 });
    other.addRun(new DashboardRun('live'));
    const chunks: string[] = [];
    const closed = new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port: other.port, path: '/api/events' }, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          chunks.push(c);
          if (chunks.length === 1) {
            other.push(0, { type: 'scalars', time: 5, step: 7, values: { 'train/loss': 1.5 } });
            other.flush();
            void other.close();
          }
        });
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    await closed;
    const text = chunks.join('');
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => [
      m[1],
      JSON.parse(m[2]!),
    ]);
    expect(events.map((e) => e[0])).toEqual(['snapshot', 'events', 'bye']);
    expect(events[0]![1].runs[0].name).toBe('live');
    expect(events[1]![1]).toEqual({
      index: 0,
      events: [{ type: 'scalars', time: 5, step: 7, values: { 'train/loss': 1.5 } }],
    });
  });
});

describe('a page that connects while events are queued', () => {
  it('gets them in its snapshot, never twice', async () => {
    const live = await DashboardServer.start({ port: 0 });
    live.addRun(new DashboardRun('live'));
    const texts = ['', ''];
    const ended: Promise<void>[] = [];
    const open = (i: number) =>
      new Promise<void>((connected) => {
        ended.push(
          new Promise<void>((done) => {
            request({ host: '127.0.0.1', port: live.port, path: '/api/events' }, (res) => {
              res.setEncoding('utf8');
              res.on('data', (c: string) => {
                texts[i] += c;
                connected();
              });
              res.on('end', done);
            }).end();
          }),
        );
      });
    await open(0);
    live.push(0, { type: 'scalars', time: 1, step: 1, values: { 'train/loss': 3 } });
    await open(1);
    live.push(0, { type: 'scalars', time: 2, step: 2, values: { 'train/loss': 2 } });
    await live.close();
    await Promise.all(ended);
    const messages = (i: number) =>
      [...texts[i]!.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({
        event: m[1],
        data: JSON.parse(m[2]!) as { runs?: RunSnapshot[]; events?: { step: number }[] },
      }));
    const [first, second] = [messages(0), messages(1)];
    // Page 0: an empty snapshot, then steps 1 and 2 as events.
    expect(first.map((m) => m.event)).toEqual(['snapshot', 'events', 'events', 'bye']);
    expect(first[0]!.data.runs![0]!.scalars).toEqual({});
    expect(first.slice(1, 3).map((m) => m.data.events!.map((e) => e.step))).toEqual([[1], [2]]);
    // Page 1: step 1 in its snapshot, step 2 as an event.
    expect(second.map((m) => m.event)).toEqual(['snapshot', 'events', 'bye']);
    expect(second[0]!.data.runs![0]!.scalars['train/loss']).toEqual([[1, 1, 3]]);
    expect(second[1]!.data.events!.map((e) => e.step)).toEqual([2]);
  });
});

describe('the dashboard server refuses', () => {
  it('path traversal with ../', async () => {
    for (const path of [
      '/../package.json',
      '/runs/0/../../package.json',
      '/runs/../../etc/passwd',
    ]) {
      const r = await send(path);
      expect(r.status, path).toBe(400);
      expect(r.body).toBe('400 bad path\n');
    }
  });

  it('path traversal encoded (%2e%2e, %2f, backslashes)', async () => {
    for (const path of [
      '/%2e%2e/package.json',
      '/runs/0/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/runs/0/..%5c..%5cpackage.json',
      '/runs/0/%2e',
      '/runs/0/metrics.csv%00',
      '/%zz',
    ]) {
      const r = await send(path);
      expect(r.status, path).toBe(400);
    }
  });

  it('methods other than GET and HEAD with 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await send('/', { method });
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
    }
  });

  it('a URL longer than MAX_URL_LENGTH with 414', async () => {
    const r = await send(`/${'a'.repeat(MAX_URL_LENGTH)}`);
    expect(r.status).toBe(414);
    expect((await send(`/?${'q'.repeat(MAX_URL_LENGTH - 10)}`)).status).toBe(200);
  });

  it('oversized headers with 431', async () => {
    const r = await send('/', { headers: { 'X-Big': 'b'.repeat(32 * 1024) } });
    expect(r.status).toBe(431);
  });

  it('a request body with 413', async () => {
    const r = await send('/', { headers: { 'Content-Length': '11' }, body: 'hello world' });
    expect(r.status).toBe(413);
  });

  it('a Host header that is not its own (DNS rebinding) with 403', async () => {
    const r = await send('/', { headers: { Host: 'evil.example:80' } });
    expect(r.status).toBe(403);
    expect((await send('/', { headers: { Host: `localhost:${server.port}` } })).status).toBe(200);
  });

  it('a port out of range', async () => {
    await expect(DashboardServer.start({ port: 70000 })).rejects.toThrow(
      /port must be an integer from 0 to 65535/,
    );
  });
});

describe('pathSegments', () => {
  it('decodes segments, drops the query, and refuses dot segments and separators', () => {
    expect(pathSegments('/')).toEqual([]);
    expect(pathSegments('/runs/0/metrics.csv?x=1')).toEqual(['runs', '0', 'metrics.csv']);
    expect(pathSegments('/a%20b')).toEqual(['a b']);
    for (const bad of ['', 'runs', '/a//b', '/a/', '/..', '/a/%2e%2e', '/a%2fb', '/a%5cb', '/%00'])
      expect(pathSegments(bad), bad).toBeUndefined();
  });
});
