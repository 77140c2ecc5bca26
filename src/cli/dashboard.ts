// `nabla dashboard <run dir>...`: serves the dashboard of finished (or still running) training runs side by side on 127.0.0.1, following their events.jsonl until Ctrl-C.
import { existsSync, statSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import type { DashboardEvent } from '../dashboard/events.js';
import { DashboardRun } from '../dashboard/run.js';
import { NablaError } from '../errors.js';
import { EVENTS_FILE, EventsReader, eventsFromMetrics } from '../node/dashboard_runs.js';
import { DashboardServer } from '../node/dashboard_server.js';
import {
  UsageError,
  parseCommandLine,
  usageText,
  type CommandSpec,
  type FlagSpec,
} from './args.js';
import type { Writer } from './progress.js';

/** --port, shared with `nabla train --dashboard`. */
export const PORT_FLAG: FlagSpec = {
  type: 'string',
  value: '<n>',
  help: 'the port on 127.0.0.1 (0: any free port; the URL is printed)',
  default: '0',
};

export const DASHBOARD_SPEC: CommandSpec = {
  name: 'dashboard',
  summary: 'Show training runs in the browser: curves, layer norms, health findings, config.',
  usage: 'nabla dashboard <run dir> [<run dir> ...] [options]',
  args: '<run dir>...',
  flags: {
    port: PORT_FLAG,
    help: { type: 'boolean', short: 'h', help: 'show this help' },
  },
  notes: [
    [
      'A run dir is a folder that nabla train wrote (--out). Its events.jsonl holds every step;',
      'a run still training is followed live. Folders without one show what metrics.json or',
      'metrics.csv hold. Several folders are drawn on the same charts to compare them.',
      'The server listens on 127.0.0.1 only and runs until Ctrl-C.',
    ].join('\n'),
  ],
  examples: [
    'nabla dashboard runs/digits-mlp',
    'nabla dashboard runs/digits-mlp runs/digits-cnn --port 6006',
  ],
};

/** A --port value: an integer from 0 to 65535. */
export function portFlag(spec: CommandSpec, v: string | boolean | undefined): number {
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--port expects an integer from 0 to 65535, got '${String(v)}'`, spec);
  return n;
}

/** The runs' names: their folders' names, or their paths where two folders share a name. */
export function runNames(dirs: readonly string[]): string[] {
  const names = dirs.map((d) => basename(resolve(d)));
  return names.map((n, i) =>
    names.indexOf(n) !== names.lastIndexOf(n) ? relative('.', resolve(dirs[i]!)) || n : n,
  );
}

/** How often `nabla dashboard` looks for new lines in the runs' events.jsonl, in milliseconds. */
const FOLLOW_MS = 1000;

/** Resolves at the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function dashboardCommand(argv: readonly string[], out: Writer): Promise<number> {
  const { flags, args } = parseCommandLine(DASHBOARD_SPEC, argv);
  if (flags.help) {
    out.write(`${usageText(DASHBOARD_SPEC)}\n`);
    return 0;
  }
  const port = portFlag(DASHBOARD_SPEC, flags.port);
  if (args.length === 0)
    throw new UsageError(
      'missing <run dir>: a folder that nabla train wrote; for example: nabla dashboard runs/digits-mlp',
      DASHBOARD_SPEC,
    );
  for (const dir of args)
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new UsageError(`no such run folder: ${dir}`, DASHBOARD_SPEC);
  const names = runNames(args);
  const runs = args.map((dir, i) => {
    const state = new DashboardRun(names[i]!);
    const reader = existsSync(resolve(dir, EVENTS_FILE)) ? new EventsReader(dir) : undefined;
    const events: DashboardEvent[] = reader ? reader.read() : eventsFromMetrics(dir);
    for (const e of events) state.ingest(e);
    return { dir, state, reader };
  });
  const server = await DashboardServer.start({ port });
  const indices = runs.map((r) => server.addRun(r.state, r.dir));
  const follow = setInterval(() => {
    runs.forEach((r, i) => {
      if (r.reader === undefined) return;
      try {
        for (const e of r.reader.read()) server.push(indices[i]!, e);
      } catch (e) {
        if (!(e instanceof NablaError)) throw e;
        out.write(`nabla dashboard: ${e.message}; no longer following ${r.dir}\n`);
        r.reader = undefined;
      }
    });
  }, FOLLOW_MS);
  const listing = runs.map((r) => `  ${r.state.name}  (${r.dir}, ${r.state.step} steps)`);
  out.write(`nabla dashboard: ${server.url}\n${listing.join('\n')}\nPress Ctrl-C to stop.\n`);
  await untilSignal();
  clearInterval(follow);
  await server.close();
  out.write('nabla dashboard: stopped\n');
  return 0;
}
