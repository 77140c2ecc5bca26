// Training progress output: an in-place bar on a terminal, plain lines when output is piped.

export interface ProgressStats {
  readonly done: number;
  readonly total: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly samplesPerSecond: number;
}

export interface Writer {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** One epoch's progress bar. On a TTY it redraws one line; otherwise it prints only the end line. */
export class ProgressBar {
  readonly #out: Writer;
  readonly #label: string;
  #lastDraw = 0;

  constructor(out: Writer, label: string) {
    this.#out = out;
    this.#label = label;
  }

  #line(s: ProgressStats, width: number): string {
    const frac = s.total > 0 ? s.done / s.total : 1;
    const tail = ` ${String(s.done).padStart(String(s.total).length)}/${s.total}  loss ${s.loss.toFixed(4)}  acc ${(100 * s.accuracy).toFixed(1)}%  ${Math.round(s.samplesPerSecond)} samples/s`;
    const room = Math.max(10, Math.min(30, width - this.#label.length - tail.length - 4));
    const filled = Math.round(frac * room);
    const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (frac >= 1 ? '=' : '>') : ''}${' '.repeat(room - filled)}`;
    return `${this.#label} [${bar}]${tail}`;
  }

  update(s: ProgressStats): void {
    if (!this.#out.isTTY) return;
    const now = Date.now();
    if (now - this.#lastDraw < 50 && s.done < s.total) return;
    this.#lastDraw = now;
    this.#out.write(`\r${this.#line(s, this.#out.columns ?? 100)}\x1b[K`);
  }

  finish(s: ProgressStats, extra = ''): void {
    const line = `${this.#line(s, this.#out.columns ?? 100)}${extra}`;
    this.#out.write(this.#out.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
  }
}

/** A plain text table with right-aligned columns. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
