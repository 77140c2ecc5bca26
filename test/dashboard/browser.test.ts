// The dashboard in headless Chromium: a digits run draws its loss live (server-sent events), layer norms, histograms, findings, config and model show, hover gives raw values, and the console stays free of errors.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradientHealthMonitor } from '../../src/diagnostics/health.js';
import { Generator, Trainer } from '../../src/index.js';
import { recordRun } from '../../src/node/dashboard.js';
import { setUpRun } from '../../src/cli/run_common.js';
import { haveBrowser, launchChromium, openPage as openBrowserPage } from '../helpers/browser.js';
import { startNabla, tmp } from '../helpers/cli.js';

let browser: Browser;

beforeAll(async () => {
  if (haveBrowser) browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const openPage = (url: string) => openBrowserPage(browser, url);

const LOSS = '[data-chart="scalar:train/loss"]';
const points = (selector: string) =>
  `Number(document.querySelector('${selector}')?.getAttribute('data-points') ?? -1)`;

// NOTE: page code is passed as strings (functions would be serialised after the test transform,
// which may add helpers the page does not have), and evaluated, never polled with
// waitForFunction: the page's content security policy forbids eval, as it should.
const WATCH_LOSS = `(() => {
  window.lossCounts = [];
  const note = () => {
    const n = ${points(LOSS)};
    if (n > 0 && window.lossCounts.at(-1) !== n) window.lossCounts.push(n);
  };
  new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
})()`;

describe.skipIf(!haveBrowser)('the dashboard in headless Chromium', () => {
  it('draws a digits run live as it trains, with layer norms, findings, config and model', async () => {
    const { data, model, optimizer } = await setUpRun(
      {
        data: 'digits',
        dataDir: undefined,
        target: undefined,
        model: 'mlp',
        optimizer: 'adam',
        limit: undefined,
        seed: 0,
        backend: 'cpu',
      },
      1e-3,
    );
    const trainer = new Trainer({
      model,
      optimizer,
      train: data.train,
      val: data.val,
      epochs: 2,
      batchSize: 32,
      generator: new Generator(0),
      yieldEvery: 10,
    });
    const monitor = new GradientHealthMonitor(model, optimizer, { every: 2 });
    const rec = await recordRun(trainer, {
      serve: true,
      port: 0,
      name: 'digits-mlp',
      monitor,
      config: { data: 'digits', model: 'mlp', epochs: 2 },
    });
    const { page, errors } = await openPage(rec.url!);
    await page.waitForSelector('body[data-connection="live"]');
    await page.evaluate(WATCH_LOSS);
    // Nothing trained yet: every point must arrive through the event stream.
    expect(await page.evaluate(points(LOSS))).toBe(-1);
    await trainer.fit();
    rec.finish('finished', trainer.evaluate(data.test).accuracy);
    await expect.poll(() => page.evaluate(points(LOSS)), { timeout: 20_000 }).toBe(80);
    const counts = (await page.evaluate('window.lossCounts')) as number[];
    // The chart grew in steps as the batches of events came in, and drew every step.
    expect(counts.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThan(counts[i - 1]!);
    expect(counts.at(-1)).toBe(80);
    for (const tag of ['train/accuracy', 'lr', 'samples/s'])
      expect(await page.evaluate(points(`[data-chart="scalar:${tag}"]`)), tag).toBe(80);
    expect(await page.evaluate(points('[data-chart="scalar:val/accuracy"]'))).toBe(2);
    // Three weight layers, a record every 2 steps.
    expect(await page.evaluate(points('[data-chart="layers:gradNorm"]'))).toBe(3 * 40);
    expect(await page.locator('[data-chart^="histogram:"]').count()).toBe(3);
    await expect
      .poll(() => page.locator('#runs').textContent())
      .toMatch(/digits-mlp finished, step 80 \/ 80, test accuracy \d+\.\d\d%/);
    expect(await page.locator('#findings').textContent()).toBe('no problem found');
    const config = await page.locator('#config').textContent();
    expect(config).toContain('"model": "mlp"');
    expect(config).toContain('Linear(in_features=64, out_features=256, bias=True)');
    expect(config).toContain('50,826 parameters');
    // Hover: the raw value and the smoothed one at the step under the cursor.
    const box = (await page.locator(`${LOSS} canvas`).boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    const tip = page.locator(`${LOSS} .tip`);
    await expect.poll(() => tip.isVisible()).toBe(true);
    const line = (await tip.textContent())!;
    const m = /digits-mlp {2}step (\d+): ([\d.]+) {2}\(smoothed ([\d.]+)\)/.exec(line);
    expect(m, line).not.toBeNull();
    const raw = trainer.history.stepLosses[Number(m![1]) - 1]!;
    expect(Number(m![2])).toBeCloseTo(raw, 3);
    // The smoothing slider at 0: the hover shows the raw value alone.
    await page.locator('#smoothing').fill('0');
    await page.mouse.move(box.x + box.width * 0.6 + 1, box.y + box.height / 2);
    await expect.poll(() => tip.textContent()).not.toContain('smoothed');
    await rec.close();
    await page.waitForSelector('body[data-connection="server stopped"]');
    await page.close();
    monitor.remove();
    expect(errors).toEqual([]);
  });

  it('nabla train --dashboard: the page of the CLI run shows every step', async () => {
    const out = tmp('nabla-dash-browser-');
    const args = ['train', '--data', 'digits', '--model', 'mlp', '--epochs', '2', '--out', out];
    const p = startNabla([...args, '--dashboard', '--port', '0', '--keep-open', '-q']);
    try {
      const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(
        await p.waitFor(/dashboard: http/),
      )![1]!;
      const { page, errors } = await openPage(url);
      await expect.poll(() => page.evaluate(points(LOSS)), { timeout: 30_000 }).toBe(80);
      await expect
        .poll(() => page.locator('#runs').textContent())
        .toContain('finished, step 80 / 80');
      expect(await page.evaluate(points('[data-chart="layers:weightNorm"]'))).toBeGreaterThan(0);
      p.child.kill('SIGINT');
      await page.waitForSelector('body[data-connection="server stopped"]');
      expect(await p.exit).toBe(0);
      await page.close();
      expect(errors).toEqual([]);
    } finally {
      p.child.kill();
    }
  });
});
