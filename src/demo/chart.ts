// A small canvas line chart for the demo: several series over steps, linear or log y axis, redrawn whole on each update.
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: { x: number; y: number }[];
}

export interface ChartOptions {
  readonly log?: boolean;
  /** A fixed y range (otherwise the data's). */
  readonly yRange?: readonly [number, number];
}

/** A color per index, from a dark-to-light ramp (first layer dark, last light). */
export const ramp = (i: number, n: number): string =>
  `hsl(${Math.round(230 - (200 * i) / Math.max(1, n - 1))}, 70%, ${Math.round(30 + (25 * i) / Math.max(1, n - 1))}%)`;

const tickText = (v: number, log: boolean) =>
  log ? `1e${Math.round(v)}` : String(Number(v.toPrecision(3)));

/** Draws `series` on `canvas`; non-finite (and, on a log axis, non-positive) values are skipped. */
export function drawChart(
  canvas: HTMLCanvasElement,
  series: readonly Series[],
  opts: ChartOptions = {},
): void {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  const log = opts.log ?? false;
  const pad = { l: 48, r: 10, t: 8, b: 22 };
  ctx.clearRect(0, 0, w, h);
  const ty = (y: number) => (log ? Math.log10(y) : y);
  const ok = (y: number) => Number.isFinite(y) && (!log || y > 0);
  const all = series.flatMap((s) => s.points.filter((p) => ok(p.y)));
  let [y0, y1] = opts.yRange ?? [
    Math.min(...all.map((p) => ty(p.y))),
    Math.max(...all.map((p) => ty(p.y))),
  ];
  if (all.length === 0) [y0, y1] = [0, 1];
  if (log) [y0, y1] = [Math.floor(y0), Math.ceil(y1)];
  if (y1 - y0 < 1e-12) [y0, y1] = [y0 - 1, y1 + 1];
  const x1 = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.x)));
  const px = (x: number) => pad.l + (x / x1) * (w - pad.l - pad.r);
  const py = (y: number) => h - pad.b - ((ty(y) - y0) / (y1 - y0)) * (h - pad.t - pad.b);
  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = '#d0d7de';
  ctx.fillStyle = '#57606a';
  ctx.lineWidth = 1;
  // A log axis has a line at every k-th power of ten; a linear one, four intervals.
  const k = log ? Math.max(1, Math.ceil((y1 - y0) / 8)) : (y1 - y0) / 4;
  for (let v = y0; v <= y1 + 1e-9; v += k) {
    const y = h - pad.b - ((v - y0) / (y1 - y0)) * (h - pad.t - pad.b);
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(w - pad.r, y);
    ctx.stroke();
    ctx.fillText(tickText(v, log), 2, y + 4);
  }
  ctx.textAlign = 'center';
  ctx.fillText('step', (pad.l + w - pad.r) / 2, h - 6);
  ctx.textAlign = 'right';
  ctx.fillText(String(x1), w - pad.r, h - 6);
  ctx.textAlign = 'left';
  ctx.lineWidth = 1.6;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.beginPath();
    let pen = false;
    for (const p of s.points) {
      if (!ok(p.y)) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(px(p.x), py(p.y));
      else ctx.moveTo(px(p.x), py(p.y));
      pen = true;
    }
    ctx.stroke();
  }
  canvas.dataset.points = String(series.reduce((a, s) => a + s.points.length, 0));
}
