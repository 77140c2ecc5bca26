// Test helper: the demo page built (dist/demo-page); `npm test` builds it first (npm run build), a run of one file builds it here.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_PAGE_DIR } from '../../src/node/demo_server.js';
import { ROOT } from './cli.js';

export function ensureDemoBuilt(): void {
  if (!existsSync(join(DEMO_PAGE_DIR, 'index.html')))
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-demo.js')]);
}
