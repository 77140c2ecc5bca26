// Regenerates docs/images/dashboard.png: two short digits runs (Adam, and SGD with a learning rate high enough to kill ReLUs) side by side in `nabla dashboard`, in headless Chromium:
// npx tsx scripts/dashboard-screenshot.ts
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainArgs, train } from '../src/cli/train.js';
import { DashboardRun } from '../src/dashboard/run.js';
import { EventsReader } from '../src/node/dashboard_runs.js';
import { DashboardServer } from '../src/node/dashboard_server.js';
import { launchChromium } from '../test/helpers/browser.js';

const OUT = new URL('../docs/images/dashboard.png', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'nabla-screenshot-'));
const silent = { write: () => true, isTTY: false };
const RUNS = {
  'digits-mlp-adam': ['--optimizer', 'adam', '--lr', '0.001'],
  'digits-mlp-sgd-lr0.5': ['--optimizer', 'sgd', '--lr', '0.5'],
};

const server = await DashboardServer.start({ port: 0 });
for (const [name, flags] of Object.entries(RUNS)) {
  const dir = join(root, name);
  const args = ['--data', 'digits', '--model', 'mlp', '--epochs', '4', '--diagnose', '--out', dir];
  const cfg = parseTrainArgs([...args, ...flags, '-q']);
  if (cfg === 'help') throw new Error('unexpected --help');
  await train(cfg, silent, () => false);
  const state = new DashboardRun(name);
  for (const e of new EventsReader(dir).read()) state.ingest(e);
  server.addRun(state, dir);
}

const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(server.url);
await page.waitForSelector('body[data-connection="live"]');
await page.waitForSelector('[data-chart="scalar:train/loss"]');
// Hover the loss chart, so that the picture shows the raw values under the cursor.
const box = (await page.locator('[data-chart="scalar:train/loss"] canvas').boundingBox())!;
await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.5);
await page.waitForTimeout(300);
await page.screenshot({ path: OUT, fullPage: true });
await browser.close();
await server.close();
process.stdout.write(`wrote ${OUT}\n`);
