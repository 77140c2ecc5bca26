// Regenerates docs/images/demo-seed.png, demo-trouble.png and demo-digits.png: `nabla demo`'s three panels in headless Chromium (the seed lesson after backward, the vanishing diagnosis, a drawn digit classified):
// npm run build && npx tsx scripts/demo-screenshot.ts
import { DemoServer } from '../src/node/demo_server.js';
import { launchChromium } from '../test/helpers/browser.js';

const out = (name: string) => new URL(`../docs/images/demo-${name}.png`, import.meta.url).pathname;
const server = await DemoServer.start({ port: 0 });
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(`${server.url}#seed`);
await page.waitForSelector('body[data-ready="yes"]');

for (const stage of ['forward', 'loss', 'backward'])
  await page.click(`button[data-stage="${stage}"]`);
await page.waitForSelector('#seed[data-stage="3"]');
await page.screenshot({
  path: out('seed'),
  clip: { x: 0, y: 0, width: 1400, height: 1500 },
  fullPage: true,
});

await page.click('button[data-tab="trouble"]');
await page.click('button[data-preset="vanishing"]');
await page.waitForSelector('#trouble[data-state="done"]', { timeout: 120_000 });
await page.screenshot({ path: out('trouble'), fullPage: true });

await page.click('button[data-tab="digits"]');
await page.click('#digits-train');
await page.waitForSelector('#digits[data-state="trained"]', { timeout: 120_000 });
// A 3, drawn as a user would: two arcs.
const box = (await page.locator('#digits-pad').boundingBox())!;
const at = (x: number, y: number) => [box.x + box.width * x, box.y + box.height * y] as const;
await page.mouse.move(...at(0.3, 0.2));
await page.mouse.down();
const path: [number, number][] = [
  [0.45, 0.12],
  [0.62, 0.16],
  [0.68, 0.3],
  [0.58, 0.44],
  [0.45, 0.48],
  [0.6, 0.53],
  [0.7, 0.67],
  [0.64, 0.82],
  [0.48, 0.88],
  [0.3, 0.82],
];
for (const [x, y] of path) await page.mouse.move(...at(x, y), { steps: 4 });
await page.mouse.up();
await page.waitForSelector('#digits[data-guess]');
await page.screenshot({ path: out('digits'), clip: { x: 0, y: 0, width: 1400, height: 860 } });
process.stdout.write(`guessed ${await page.getAttribute('#digits', 'data-guess')}\n`);
await browser.close();
await server.close();
process.stdout.write(`wrote ${out('seed')}, ${out('trouble')}, ${out('digits')}\n`);
