// Writing plots to files (Node): SVG as Vega renders it, PNG rasterised from that SVG with resvg.
import { defineOptions } from '../options.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { ArgumentError } from '../errors.js';
import { renderSvg, type PlotSpec } from '../diagnostics/plots.js';

const SVG_TO_PNG = defineOptions<PngOptions>('svgToPng', { scale: 'number' });
const WRITE_PLOT = defineOptions<PngOptions>('writePlot', { scale: 'number' });
const WRITE_PLOT_FILES = defineOptions<PngOptions>('writePlotFiles', { scale: 'number' });

export interface PngOptions {
  /** Device pixels per CSS pixel (default 2: crisp on high-density screens). */
  readonly scale?: number;
}

/** Rasterises an SVG document to PNG bytes (white background, system fonts). */
export async function svgToPng(svg: string, opts?: PngOptions): Promise<Uint8Array> {
  SVG_TO_PNG.check(opts);
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: opts?.scale ?? 2 },
    background: 'white',
    font: {
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  });
  return r.render().asPng();
}

/**
 * Writes a plot (a Vega-Lite spec, or an SVG string) to `path`: SVG for .svg, PNG for .png.
 * Creates the folder. Returns the path.
 */
export async function writePlot(
  path: string,
  plot: PlotSpec | string,
  opts?: PngOptions,
): Promise<string> {
  WRITE_PLOT.check(opts);
  const ext = extname(path).toLowerCase();
  if (ext !== '.svg' && ext !== '.png')
    throw new ArgumentError(`writePlot: expected a .svg or .png path, got '${path}'`);
  const svg = typeof plot === 'string' ? plot : await renderSvg(plot);
  mkdirSync(dirname(path) || '.', { recursive: true });
  writeFileSync(path, ext === '.svg' ? svg : await svgToPng(svg, opts));
  return path;
}

/** Writes `<dir>/<name>.svg` and `<dir>/<name>.png`; returns both paths. */
export async function writePlotFiles(
  dir: string,
  name: string,
  plot: PlotSpec | string,
  opts?: PngOptions,
): Promise<[string, string]> {
  WRITE_PLOT_FILES.check(opts);
  const svg = typeof plot === 'string' ? plot : await renderSvg(plot);
  return [
    await writePlot(join(dir, `${name}.svg`), svg),
    await writePlot(join(dir, `${name}.png`), svg, opts),
  ];
}
