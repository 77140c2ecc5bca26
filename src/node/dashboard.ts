// A training run recorded for the dashboard: a DashboardRecorder on a Trainer writing events.jsonl to the run's folder and feeding a live DashboardServer.
import { basename, resolve } from 'node:path';
import type { GradientHealthMonitor } from '../diagnostics/health.js';
import type { EndEvent } from '../dashboard/events.js';
import { DashboardRecorder } from '../dashboard/recorder.js';
import { DashboardRun } from '../dashboard/run.js';
import { defineOptions } from '../options.js';
import type { Trainer } from '../train/index.js';
import { EventsFile } from './dashboard_runs.js';
import { DashboardServer } from './dashboard_server.js';

export interface RecordRunOptions {
  /** The run's folder: events.jsonl is written there (and served with its other files). */
  readonly dir?: string;
  /** Append to the folder's events.jsonl (a resumed run) instead of starting it afresh. */
  readonly append?: boolean;
  /** Serve a live dashboard on 127.0.0.1 (default false). */
  readonly serve?: boolean;
  /** The dashboard's port (default 0: any free port). */
  readonly port?: number;
  /** The run's name on the dashboard (default: the folder's name, else 'run'). */
  readonly name?: string;
  readonly config?: Readonly<Record<string, unknown>>;
  readonly data?: Readonly<Record<string, unknown>>;
  /** A gradient-health monitor on the trainer's model: layer norms, histograms, findings. */
  readonly monitor?: GradientHealthMonitor;
}

const RECORD_RUN = defineOptions<RecordRunOptions>('recordRun', {
  dir: 'string',
  append: 'boolean',
  serve: 'boolean',
  port: 'integer',
  name: 'string',
  config: 'object',
  data: 'object',
  monitor: 'object',
});

export interface RunRecording {
  /** The live dashboard's server and URL (undefined without `serve`). */
  readonly server: DashboardServer | undefined;
  readonly url: string | undefined;
  readonly recorder: DashboardRecorder;
  /** Records the end of the run and writes what is left of events.jsonl. */
  finish(status: EndEvent['status'], testAccuracy?: number): void;
  /** Stops the server (the pages are told, and say so). */
  close(): Promise<void>;
}

/** Starts recording `trainer` (call before fit()): events.jsonl in `dir`, a live server with `serve`. */
export async function recordRun(
  trainer: Trainer,
  opts: RecordRunOptions = {},
): Promise<RunRecording> {
  RECORD_RUN.check(opts);
  const file =
    opts.dir === undefined ? undefined : new EventsFile(opts.dir, { append: opts.append ?? false });
  const server = opts.serve ? await DashboardServer.start({ port: opts.port ?? 0 }) : undefined;
  const name = opts.name ?? (opts.dir === undefined ? 'run' : basename(resolve(opts.dir)));
  const index = server?.addRun(new DashboardRun(name), opts.dir);
  const recorder = new DashboardRecorder(
    trainer,
    (e) => {
      file?.write(e);
      if (server !== undefined) server.push(index!, e);
    },
    {
      ...(opts.config !== undefined ? { config: opts.config } : {}),
      ...(opts.data !== undefined ? { data: opts.data } : {}),
      ...(opts.monitor !== undefined ? { monitor: opts.monitor } : {}),
    },
  );
  return {
    server,
    url: server?.url,
    recorder,
    finish(status, testAccuracy) {
      recorder.finish(status, testAccuracy);
      file?.close();
      server?.flush();
    },
    close: async () => {
      file?.close();
      await server?.close();
    },
  };
}
