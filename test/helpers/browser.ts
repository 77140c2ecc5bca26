// Test helper: Debian's headless Chromium through playwright-core, with the flags this closed network needs.
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** CI installs chromium (.ci/run) and must run the browser tests; elsewhere they skip without it. */
export const haveBrowser = existsSync(CHROMIUM) || process.env.CI !== undefined;

/**
 * Chromium's WebGPU on SwiftShader (Vulkan on the CPU): no GPU needed. `--disable-gpu` is left
 * out with these.
 */
export const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-unsafe-swiftshader',
];

/**
 * Starts headless Chromium (no background networking: this machine's network is closed); with
 * `webgpu`, navigator.gpu answers with SwiftShader's adapter.
 */
export async function launchChromium(webgpu = false): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      ...(webgpu ? WEBGPU_FLAGS : ['--disable-gpu']),
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A new page (1300×900) of `browser` at `url`, whose console errors and warnings and uncaught
 * exceptions are collected in `errors`.
 */
export async function openPage(
  browser: Browser,
  url: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { page, errors };
}
