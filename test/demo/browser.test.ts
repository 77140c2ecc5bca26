// `nabla demo` in headless Chromium: the seed lesson clicked through stage by stage shows PyTorch's numbers, the trouble lab diagnoses a 20-layer sigmoid net as vanishing, the digits MLP trains and classifies a drawn 0, and the console stays free of errors.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoServer } from '../../src/node/demo_server.js';
import { haveBrowser, launchChromium, openPage } from '../helpers/browser.js';
import { ensureDemoBuilt } from '../helpers/demo.js';

interface Enc {
  shape: number[];
  data: number[];
}
/** PyTorch's numbers for the seed network with manualSeed(0) (test/fixtures/generate_explain.py). */
const golden = (
  JSON.parse(readFileSync(new URL('../fixtures/explain_golden.json', import.meta.url), 'utf8')) as {
    cases: {
      name: string;
      start: Record<string, Enc>;
      values: Record<string, Enc>;
      grads: Record<string, Enc>;
      paramGrads: Record<string, Enc>;
      inputGrad: Enc;
      after: Record<string, Enc>;
      loss: number;
    }[];
  }
).cases.find((c) => c.name === 'seeded')!;

let browser: Browser;
let server: DemoServer;

beforeAll(async () => {
  if (!haveBrowser) return;
  ensureDemoBuilt();
  server = await DemoServer.start();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A page of the demo, on `tab`, once it is ready; its console errors are collected. */
async function open(tab: string): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(browser, `${server.url}#${tab}`);
  await opened.page.waitForSelector('body[data-ready="yes"]', { timeout: 60_000 });
  return opened;
}

interface Shown {
  value: unknown;
  grad: unknown;
  text: string;
}

/** Every graph node's numbers (data attributes) and its text. */
const nodes = (page: Page) =>
  page.evaluate(`Object.fromEntries([...document.querySelectorAll('#seed-graph g.node')].map((g) =>
    [g.dataset.node, { value: JSON.parse(g.dataset.value), grad: JSON.parse(g.dataset.grad), text: g.textContent }]))`) as Promise<
    Record<string, Shown>
  >;

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flat(2) : [v as number]);

/** The numbers shown equal PyTorch's to float32 rounding, and the text shows them to 4 digits. */
function expectShown(shown: unknown, e: Enc | number, text?: string): void {
  const want = typeof e === 'number' ? [e] : e.data;
  const got = flat(shown);
  expect(got).toHaveLength(want.length);
  got.forEach((v, i) =>
    expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(want[i]!)),
  );
  if (text !== undefined)
    for (const w of want) expect(text).toContain(String(Number(w.toPrecision(4))));
}

describe.skipIf(!haveBrowser)('nabla demo in headless Chromium', () => {
  it('backprop step by step: forward, loss, backward, update show PyTorch’s numbers', async () => {
    const { page, errors } = await open('seed');
    const click = async (stage: string, done: number) => {
      await page.click(`button[data-stage="${stage}"]`);
      await page.waitForSelector(`#seed[data-stage="${done}"]`);
      return nodes(page);
    };
    let n = await nodes(page);
    for (const p of ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'])
      expectShown(n[p]!.value, golden.start[p]!, n[p]!.text);
    expect(n.z1!.value).toBeNull();
    expect(await page.isDisabled('button[data-stage="loss"]')).toBe(true);

    n = await click('forward', 1);
    expectShown(n.z1!.value, golden.values.z1!, n.z1!.text);
    expectShown(n.h!.value, golden.values.h!, n.h!.text);
    expectShown(n.out!.value, golden.values.out!, n.out!.text);
    expect(n.L!.value).toBeNull();
    // The forward formulas are typeset by KaTeX.
    expect(await page.locator('#seed-math .katex').count()).toBeGreaterThan(5);

    n = await click('loss', 2);
    expectShown(n.L!.value, golden.loss, n.L!.text);
    expect(Number(await page.getAttribute('#seed-math [data-loss]', 'data-loss'))).toBe(
      golden.loss,
    );
    expect(n.z1!.grad).toBeNull();

    n = await click('backward', 3);
    expectShown(n.L!.grad, 1);
    expectShown(n.out!.grad, golden.grads.out!, n.out!.text);
    expectShown(n.h!.grad, golden.grads.h!, n.h!.text);
    expectShown(n.z1!.grad, golden.grads.z1!, n.z1!.text);
    expectShown(n.x!.grad, golden.inputGrad, n.x!.text);
    for (const p of ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'])
      expectShown(n[p]!.grad, golden.paramGrads[p]!, n[p]!.text);
    // Each chain-rule factor with its numbers: ReLU's backward multiplies by 1[t1 > 0] = [1, 0].
    const relu = await page.locator('#seed-math .step[data-symbol="t2"]').innerText();
    expect(relu).toContain('ReluBackward');
    expect(relu).toMatch(/0\.0299672/);
    expect(relu).toMatch(/−1\.19924|-1\.19924/);
    expect(await page.locator('#seed-math .step').count()).toBe(7);

    n = await click('update', 4);
    for (const p of ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'])
      expectShown(n[p]!.value, golden.after[p]!, n[p]!.text);
    expect(await page.locator('#seed-math').innerText()).toMatch(
      /Optimizer step: SGD \(lr = 0\.01\)/,
    );

    // The next step starts from the updated weights; "Start over" goes back to manualSeed(0).
    n = await click('forward', 1);
    expect(await page.innerText('#seed-status')).toMatch(/^Step 2\./);
    const [w, b] = [golden.after['fc1.weight']!.data, golden.after['fc1.bias']!.data];
    expectShown(n.z1!.value, {
      shape: [1, 2],
      data: [0, 1].map((j) => w[2 * j]! + 2 * w[2 * j + 1]! + b[j]!),
    });
    await page.click('button[data-stage="reset"]');
    n = await nodes(page);
    expectShown(n['fc1.weight']!.value, golden.start['fc1.weight']!);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);

  it('trouble lab: a 20-layer sigmoid net is diagnosed as vanishing, with advice', async () => {
    const { page, errors } = await open('trouble');
    await page.click('button[data-preset="vanishing"]');
    await page.waitForSelector('#trouble[data-state="done"]', { timeout: 120_000 });
    const finding = page.locator('#trouble-diagnosis .finding');
    expect(await finding.getAttribute('data-kind')).toBe('vanishing-gradients');
    const text = await finding.innerText();
    expect(text).toMatch(/Vanishing gradients/);
    expect(text).toMatch(/0 \(Linear\)/);
    expect(text).toMatch(/Kaiming/);
    expect(text).toMatch(/BatchNorm/);
    // One curve per weight layer, 60 steps each, and the loss.
    expect(await page.locator('#trouble-legend span').count()).toBe(20);
    expect(await page.getAttribute('#trouble-norms', 'data-points')).toBe(String(20 * 60));
    expect(await page.getAttribute('#trouble-loss', 'data-points')).toBe('60');
    await page.close();
    expect(errors).toEqual([]);
  }, 180_000);

  it('trouble lab: the other presets give their diagnosis, or none once fixed', async () => {
    const { page, errors } = await open('trouble');
    // A run switched mid-way: the stopped run's last messages do not end the new one.
    await page.click('button[data-preset="vanishing"]');
    await expect
      .poll(async () => Number(await page.getAttribute('#trouble-loss', 'data-points')), {
        timeout: 30_000,
      })
      .toBeGreaterThan(2);
    const expected = {
      exploding: ['exploding-gradients'],
      fixedExploding: ['none'],
      fixedVanishing: ['none'],
      lrHigh: ['lr-too-high'],
      lrLow: ['lr-too-low'],
    };
    for (const [preset, kinds] of Object.entries(expected)) {
      await page.click(`button[data-preset="${preset}"]`);
      await page.waitForSelector('#trouble[data-state="done"]', { timeout: 120_000 });
      const shown = await page.evaluate(
        "[...document.querySelectorAll('#trouble-diagnosis [data-kind]')].map((e) => e.dataset.kind)",
      );
      expect([preset, shown]).toEqual([preset, kinds]);
      const steps = Number(await page.inputValue('input[name="steps"]'));
      expect(await page.getAttribute('#trouble-loss', 'data-points')).toBe(String(steps));
    }
    await page.close();
    expect(errors).toEqual([]);
  }, 180_000);

  it('digits: the MLP trains live, then a drawn 0 is classified as 0', async () => {
    const { page, errors } = await open('digits');
    await page.fill('#digits-epochs', '4');
    await page.click('#digits-train');
    await page.waitForSelector('#digits[data-state="trained"]', { timeout: 120_000 });
    expect(Number(await page.getAttribute('#digits', 'data-accuracy'))).toBeGreaterThan(0.85);
    expect(Number(await page.getAttribute('#digits-curves', 'data-points'))).toBeGreaterThan(20);
    const box = (await page.locator('#digits-pad').boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(cx + 55, cy);
    await page.mouse.down();
    for (let i = 1; i <= 40; i++) {
      const a = (i / 40) * 2 * Math.PI;
      await page.mouse.move(cx + 55 * Math.cos(a), cy + 85 * Math.sin(a));
    }
    await page.mouse.up();
    await page.waitForSelector('#digits[data-guess]', { timeout: 30_000 });
    expect(await page.getAttribute('#digits', 'data-guess')).toBe('0');
    expect(await page.locator('#digits-probs .bar').count()).toBe(10);
    await page.close();
    expect(errors).toEqual([]);
  }, 180_000);
});
