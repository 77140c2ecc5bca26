// `nabla train --dashboard` and `nabla dashboard <run dir>...` as a user runs them: the URL printed, the server up while it should be, gone after, usage errors.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DashboardRun, type RunSnapshot } from '../../src/dashboard/run.js';
import { parseEvents } from '../../src/node/dashboard_runs.js';
import { nabla, startNabla, tmp } from '../helpers/cli.js';

const urlOf = (out: string) => /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;

async function runs(url: string): Promise<RunSnapshot[]> {
  const r = await fetch(`${url}api/runs`);
  return ((await r.json()) as { runs: RunSnapshot[] }).runs;
}

const TRAIN = [
  'train',
  '--data',
  'digits',
  '--model',
  'mlp',
  '--epochs',
  '1',
  '--limit',
  '320',
  '-q',
];

describe('nabla train --dashboard', () => {
  it('prints the URL, serves the run until Ctrl-C with --keep-open, then exits 0', async () => {
    const out = tmp('nabla-dash-');
    const p = startNabla([...TRAIN, '--out', out, '--dashboard', '--port', '0', '--keep-open']);
    const text = await p.waitFor(/still open at/);
    const url = urlOf(text);
    expect(text).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/$/m);
    const [run] = await runs(url);
    expect(run!.name).toBe(out.split('/').at(-1));
    expect(run!.end).toMatchObject({ status: 'finished' });
    expect(run!.step).toBe(10);
    expect(run!.scalars['train/loss']).toHaveLength(10);
    expect(Object.keys(run!.layers.gradNorm)).toEqual(['1 Linear', '3 Linear', '5 Linear']);
    expect(run!.start!.config).toMatchObject({ model: 'mlp', dashboard: true });
    expect(run!.start!.model!.summary).toMatch(/^Sequential\(/);
    p.child.kill('SIGINT');
    expect(await p.waitFor(/stopping the dashboard/)).not.toMatch(/stopping after this batch/);
    expect(await p.exit).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
    expect(existsSync(join(out, 'events.jsonl'))).toBe(true);
  });

  it('without --keep-open the server stops with the run; events.jsonl is written without --dashboard too', () => {
    const out = tmp('nabla-dash-');
    const r = nabla([...TRAIN, '--out', out, '--dashboard']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/$/m);
    const plain = tmp('nabla-dash-');
    expect(nabla([...TRAIN, '--out', plain]).code).toBe(0);
    const lines = readFileSync(join(plain, 'events.jsonl'), 'utf8').trim().split('\n');
    const types = lines.map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types.filter((t) => t === 'scalars')).toHaveLength(11); // 10 steps, 1 epoch
    expect(types).not.toContain('layers'); // no monitor without --dashboard or --diagnose
    expect(types.at(-1)).toBe('end');
  });

  it('a resumed run appends to events.jsonl, and draws each step once', () => {
    const out = tmp('nabla-dash-');
    const first = nabla([...TRAIN, '--epochs', '2', '--out', out, '--stop-after', '15']);
    expect(first.code).toBe(0);
    const again = nabla(['train', '--resume', join(out, 'checkpoint.safetensors'), '-q']);
    expect(again.code).toBe(0);
    const events = parseEvents(readFileSync(join(out, 'events.jsonl'), 'utf8'), 'events.jsonl');
    const marks = events.filter((e) => e.type === 'start' || e.type === 'end');
    expect(marks.map((e) => [e.type, e.step, e.type === 'end' ? e.status : ''])).toEqual([
      ['start', 0, ''],
      ['end', 15, 'stopped'],
      ['start', 15, ''],
      ['end', 20, 'finished'],
    ]);
    const run = new DashboardRun('resumed');
    for (const e of events) run.ingest(e);
    const steps = run.snapshot().scalars['train/loss']!.map((p) => p[0]);
    expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('--port and --keep-open need --dashboard; --port must be a port', () => {
    for (const flag of [['--port', '8080'], ['--keep-open']]) {
      const r = nabla(['train', ...flag]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^nabla: ${flag[0]} needs --dashboard`));
    }
    const r = nabla(['train', '--dashboard', '--port', '70000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nabla: --port expects an integer from 0 to 65535, got '70000'/);
  });
});

describe('nabla dashboard', () => {
  it('shows finished runs side by side from their events.jsonl, and their files, until Ctrl-C', async () => {
    const a = tmp('nabla-dash-');
    const b = tmp('nabla-dash-');
    expect(nabla([...TRAIN, '--out', a]).code).toBe(0);
    expect(nabla([...TRAIN, '--out', b, '--optimizer', 'sgd']).code).toBe(0);
    const p = startNabla(['dashboard', a, b, '--port', '0']);
    const url = urlOf(await p.waitFor(/Press Ctrl-C/));
    const [ra, rb] = await runs(url);
    expect([ra!.name, rb!.name]).toEqual([a, b].map((d) => d.split('/').at(-1)));
    expect(ra!.scalars['train/loss']).toHaveLength(10);
    expect(rb!.start!.config).toMatchObject({ optimizer: 'sgd' });
    expect(await (await fetch(`${url}runs/1/metrics.csv`)).text()).toBe(
      readFileSync(join(b, 'metrics.csv'), 'utf8'),
    );
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(0);
  });

  it('--help, and usage errors for a missing or absent run folder', () => {
    const help = nabla(['dashboard', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: nabla dashboard <run dir> \[<run dir> \.\.\.\]/);
    expect(help.stdout).toMatch(/--port <n>/);
    expect(nabla(['--help']).stdout).toMatch(/^ {2}dashboard {2,}Show training runs/m);
    const none = nabla(['dashboard']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^nabla: missing <run dir>/);
    const absent = nabla(['dashboard', '/no/such/run']);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/^nabla: no such run folder: \/no\/such\/run/);
  });
});
