// A run folder as the dashboard reads and writes it: events.jsonl (appended during training, followed by `nabla dashboard`), or metrics.json / metrics.csv of runs without one.
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { isDashboardEvent, jsonNumber, type DashboardEvent } from '../dashboard/events.js';
import { DataError } from '../errors.js';

/** The per-step events file in a run folder. */
export const EVENTS_FILE = 'events.jsonl';

/**
 * events.jsonl of a run being trained: started afresh (or appended to, when resuming), written
 * in batches (every `flushMs` and at close()), one JSON event per line.
 */
export class EventsFile {
  readonly path: string;
  #lines: string[] = [];
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(dir: string, opts: { readonly append: boolean; readonly flushMs?: number }) {
    this.path = join(dir, EVENTS_FILE);
    if (!opts.append || !existsSync(this.path)) writeFileSync(this.path, '');
    this.#timer = setInterval(() => this.flush(), opts.flushMs ?? 500);
    this.#timer.unref();
  }

  write(e: DashboardEvent): void {
    this.#lines.push(JSON.stringify(e));
  }

  flush(): void {
    if (this.#lines.length === 0) return;
    appendFileSync(this.path, `${this.#lines.join('\n')}\n`);
    this.#lines = [];
  }

  close(): void {
    clearInterval(this.#timer);
    this.flush();
  }
}

/** The complete lines of a chunk of events.jsonl as events (blank lines skipped); `where` names the file in errors. */
export function parseEvents(text: string, where: string, firstLine = 1): DashboardEvent[] {
  const out: DashboardEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      throw new DataError(`${where}:${firstLine + i}: not a JSON line`);
    }
    if (!isDashboardEvent(e))
      throw new DataError(`${where}:${firstLine + i}: not a dashboard event (type, step and time)`);
    out.push(e);
  });
  return out;
}

/**
 * Follows a run folder's events.jsonl from its start: read() returns the events of the lines
 * completed since the last call (a line still being written waits for its newline).
 */
export class EventsReader {
  readonly path: string;
  #offset = 0;
  #line = 1;
  #rest = '';

  constructor(dir: string) {
    this.path = join(dir, EVENTS_FILE);
  }

  read(): DashboardEvent[] {
    if (!existsSync(this.path)) return [];
    const size = statSync(this.path).size;
    if (size < this.#offset) {
      // Started afresh by a new run in the same folder.
      this.#offset = 0;
      this.#line = 1;
      this.#rest = '';
    }
    if (size === this.#offset) return [];
    const buf = Buffer.alloc(size - this.#offset);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.#offset);
    } finally {
      closeSync(fd);
    }
    this.#offset = size;
    const text = this.#rest + buf.toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    this.#rest = text.slice(end);
    const complete = text.slice(0, end);
    const events = parseEvents(complete, this.path, this.#line);
    this.#line += complete.split('\n').length - 1;
    return events;
  }
}

interface SavedMetrics {
  readonly config?: Record<string, unknown>;
  readonly data?: Record<string, unknown>;
  readonly epochs?: readonly Record<string, number | null>[];
  readonly stepLosses?: readonly number[];
  readonly running?: boolean;
  readonly interrupted?: boolean;
  readonly testAccuracy?: number | null;
}

/**
 * The events of a run folder without events.jsonl, from metrics.json (per-step losses and the
 * epochs; wall times spread evenly over each epoch's steps, ending at the file's time) or else
 * metrics.csv (the epochs only, one step each).
 */
export function eventsFromMetrics(dir: string): DashboardEvent[] {
  const json = join(dir, 'metrics.json');
  const csv = join(dir, 'metrics.csv');
  if (existsSync(json)) {
    let m: SavedMetrics;
    try {
      m = JSON.parse(readFileSync(json, 'utf8')) as SavedMetrics;
    } catch (e) {
      throw new DataError(`${json}: ${(e as Error).message}`);
    }
    return metricsEvents(m, statSync(json).mtimeMs / 1000);
  }
  if (existsSync(csv)) {
    const [head, ...rows] = readFileSync(csv, 'utf8').trim().split('\n');
    const cols = (head ?? '').split(',');
    const epochs = rows.map((r) =>
      Object.fromEntries(r.split(',').map((v, i) => [cols[i] ?? `${i}`, Number(v)])),
    );
    return metricsEvents({ epochs }, statSync(csv).mtimeMs / 1000);
  }
  throw new DataError(
    `${dir} has no ${EVENTS_FILE}, metrics.json or metrics.csv: not a folder that nabla train wrote`,
  );
}

function metricsEvents(m: SavedMetrics, fileTime: number): DashboardEvent[] {
  const epochs = m.epochs ?? [];
  const losses = m.stepLosses ?? [];
  const perEpoch = epochs.length > 0 && losses.length > 0 ? losses.length / epochs.length : 1;
  const total = epochs.reduce((s, e) => s + (e.seconds ?? 0), 0);
  const t0 = fileTime - total;
  const out: DashboardEvent[] = [];
  const stepsTotal = losses.length > 0 ? losses.length : epochs.length;
  out.push({
    type: 'start',
    time: t0,
    step: 0,
    totalSteps: stepsTotal,
    epochs: Number(m.config?.epochs ?? epochs.length),
    ...(m.config !== undefined ? { config: m.config } : {}),
    ...(m.data !== undefined ? { data: m.data } : {}),
  });
  // The wall time of step s: its epoch's start plus its share of the epoch's seconds.
  const starts = epochs.map(
    (_, i) => t0 + epochs.slice(0, i).reduce((s, e) => s + (e.seconds ?? 0), 0),
  );
  const timeOf = (step: number): number => {
    const i = Math.min(epochs.length - 1, Math.floor((step - 1) / perEpoch));
    if (i < 0) return t0;
    const within = (step - i * perEpoch) / perEpoch;
    return starts[i]! + within * (epochs[i]!.seconds ?? 0);
  };
  losses.forEach((l, i) =>
    out.push({
      type: 'scalars',
      time: timeOf(i + 1),
      step: i + 1,
      values: { 'train/loss': jsonNumber(l) },
    }),
  );
  epochs.forEach((e, i) => {
    const step = losses.length > 0 ? Math.round((i + 1) * perEpoch) : i + 1;
    const v = (k: string) => jsonNumber(e[k] ?? undefined);
    out.push({
      type: 'scalars',
      time: timeOf(step),
      step,
      values: {
        epoch: v('epoch'),
        'epoch/train_loss': v('trainLoss'),
        'epoch/train_accuracy': v('trainAccuracy'),
        'val/loss': v('valLoss'),
        'val/accuracy': v('valAccuracy'),
        lr: v('lr'),
        'samples/s': v('samplesPerSecond'),
      },
    });
  });
  if (m.running !== true && (m.testAccuracy !== undefined || m.interrupted !== undefined)) {
    out.push({
      type: 'end',
      time: fileTime,
      step: stepsTotal,
      status: m.interrupted === true ? 'interrupted' : 'finished',
      ...(m.testAccuracy !== undefined ? { testAccuracy: m.testAccuracy } : {}),
    });
  }
  return out;
}
