// The plots: each SVG parses, renders to non-blank pixels in headless Chromium with the expected series, and the PNGs are valid at 2× size.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demos } from '../../examples/gradient_health.js';
import {
  gradNormSpec,
  lrFinderSpec,
  renderSvg,
  stepLossSpec,
  trainingCurvesSpec,
  type PlotSpec,
} from '../../src/diagnostics/plots.js';
import { svgToPng, writePlot, writePlotFiles } from '../../src/node/plots.js';
import { haveBrowser, launchChromium } from '../helpers/browser.js';

/** Set NABLA_PLOT_SHOTS=<dir> to keep the Chromium screenshots and look at them. */
const SHOTS = process.env.NABLA_PLOT_SHOTS;

// Scripts run in the page (plain JavaScript: the test's TypeScript has no DOM types).
const PARSE = (svg: string) => `(() => {
  const doc = new DOMParser().parseFromString(${JSON.stringify(svg)}, 'image/svg+xml');
  return { root: doc.documentElement.nodeName, errors: doc.getElementsByTagName('parsererror').length };
})()`;
const LINES = `[...document.querySelectorAll('g.mark-line path')].map((p) => {
  const b = p.getBBox();
  return { w: b.width, h: b.height };
})`;
const PIXELS = (b64: string) => `(async () => {
  const img = new Image();
  img.src = 'data:image/png;base64,${b64}';
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height).data;
  let ink = 0;
  const colours = new Set();
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) ink++;
    colours.add((d[i] >> 4) * 256 + (d[i + 1] >> 4) * 16 + (d[i + 2] >> 4));
  }
  return { width: img.width, height: img.height, ink: ink / (d.length / 4), colours: colours.size };
})()`;

const epochs = [1, 2, 3, 4, 5].map((epoch) => ({
  epoch,
  trainLoss: 2 / epoch,
  valLoss: 2.2 / epoch,
  trainAccuracy: 1 - 0.4 / epoch,
  valAccuracy: 1 - 0.45 / epoch,
}));
const losses = Array.from({ length: 120 }, (_, i) => 2.3 * Math.exp(-i / 40) + 0.1 * Math.sin(i));
const lrs = Array.from({ length: 60 }, (_, i) => 1e-6 * 10 ** (i / 8));
const lrLosses = lrs.map(
  (lr) => 2.3 - 1.5 / (1 + (1e-2 / lr) ** 2) + (lr > 1 ? 3 * Math.log10(lr) : 0),
);

interface Case {
  readonly name: string;
  readonly spec: () => PlotSpec;
  /** Line series drawn (one path each). */
  readonly lines: number;
}

function cases(): Case[] {
  const { monitor } = demos.fixedExploding(10);
  return [
    { name: 'curves', spec: () => trainingCurvesSpec(epochs), lines: 4 },
    {
      name: 'curves-loss-only',
      spec: () => trainingCurvesSpec(epochs.map(({ epoch, trainLoss }) => ({ epoch, trainLoss }))),
      lines: 1,
    },
    { name: 'loss-steps', spec: () => stepLossSpec(losses), lines: 2 },
    {
      name: 'lr-finder',
      spec: () => lrFinderSpec({ lrs, losses: lrLosses, suggestion: lrs[20] }),
      lines: 1,
    },
    { name: 'grad-norms', spec: () => gradNormSpec(monitor), lines: 10 },
  ];
}

function pngSize(png: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  expect([...png.subarray(0, 8)]).toEqual(sig);
  expect(Buffer.from(png.subarray(12, 16)).toString('ascii')).toBe('IHDR');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  expect(m).not.toBeNull();
  return { width: Number(m![1]), height: Number(m![2]) };
}

describe('plot specs and SVG', () => {
  it('render to SVG with one path per series and the right axes', async () => {
    for (const c of cases()) {
      const svg = await renderSvg(c.spec());
      expect(svg.startsWith('<svg'), c.name).toBe(true);
      const lines = svg.match(/<g class="mark-line role-mark[^"]*"[^>]*>.*?<\/g>/gs) ?? [];
      const paths = lines.map((g) => (g.match(/<path /g) ?? []).length).reduce((a, b) => a + b, 0);
      expect(paths, c.name).toBe(c.lines);
    }
    const lr = await renderSvg(lrFinderSpec({ lrs, losses: lrLosses, suggestion: lrs[20] }));
    expect(lr).toMatch(/suggested lr 3\.2e-4/);
    expect(lr).toMatch(/learning rate/);
  });

  it('leave out non-finite and non-positive values on log scales', async () => {
    const svg = await renderSvg(stepLossSpec([2, NaN, 1, Infinity, 0.5]));
    expect(svg).not.toMatch(/NaN/);
  });

  it('write SVG and PNG files; PNGs are valid and 2× the SVG size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nabla-plots-'));
    const spec = stepLossSpec(losses);
    const [svgPath, pngPath] = await writePlotFiles(dir, 'loss', spec);
    const svg = readFileSync(svgPath, 'utf8');
    const png = readFileSync(pngPath);
    const s = svgSize(svg);
    expect(pngSize(png)).toEqual({ width: 2 * s.width, height: 2 * s.height });
    const one = await svgToPng(svg, { scale: 1 });
    expect(pngSize(one)).toEqual(s);
    await expect(writePlot(join(dir, 'x.pdf'), spec)).rejects.toThrow(/\.svg or \.png/);
  });
});

describe.skipIf(!haveBrowser)('plots in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('each plot parses as SVG, renders non-blank pixels, and shows its series', async () => {
    const page = await browser.newPage();
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    for (const c of cases()) {
      const svg = await renderSvg(c.spec());
      // Well-formed: the XML parser accepts it as an SVG document.
      const parsed = await page.evaluate(PARSE(svg));
      expect(parsed, c.name).toEqual({ root: 'svg', errors: 0 });
      // Rendered as a page: the line series are there, with real geometry.
      await page.setContent(`<!doctype html><body style="margin:0;background:#fff">${svg}</body>`);
      const lines = (await page.evaluate(LINES)) as { w: number; h: number }[];
      expect(lines.length, c.name).toBe(c.lines);
      for (const l of lines) expect(l.w, c.name).toBeGreaterThan(10);
      const shot = await page.locator('svg').first().screenshot({ type: 'png' });
      if (SHOTS) writeFileSync(join(SHOTS, `${c.name}.png`), shot);
      // Pixels: decode the screenshot in the page and count what is not white.
      const stats = (await page.evaluate(PIXELS(shot.toString('base64')))) as {
        width: number;
        height: number;
        ink: number;
        colours: number;
      };
      const s = svgSize(svg);
      expect(stats.width, c.name).toBe(Math.round(s.width));
      expect(stats.height, c.name).toBe(Math.round(s.height));
      expect(stats.ink, c.name).toBeGreaterThan(0.02);
      expect(stats.ink, c.name).toBeLessThan(0.6);
      expect(stats.colours, c.name).toBeGreaterThan(c.lines > 2 ? 8 : 3);
    }
    await page.close();
  });
});
