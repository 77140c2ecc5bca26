// A 20-epoch digits run in-process: live tensors stay constant and RSS stays flat.
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainArgs, train, type TrainConfig } from '../../src/cli/train.js';
import { memory, setMemoryTracking } from '../../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc!;

/** Collects until finalisation callbacks have had their turns (a loaded machine delays them). */
async function settle(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('a 20-epoch digits run', () => {
  it('shows no growth in live tensors, and its RSS stays flat', async () => {
    setMemoryTracking(true);
    const out = mkdtempSync(join(tmpdir(), 'nabla-mem-'));
    const cfg = parseTrainArgs(['--epochs', '20', '--quiet', '--out', out]) as TrainConfig;
    const tensors: number[] = [];
    const rss: number[] = [];
    await train(cfg, { write: () => true }, () => false, {
      onEpoch: async () => {
        await settle();
        tensors.push(memory().tensors);
        rss.push(process.memoryUsage().rss);
      },
    });
    expect(tensors).toHaveLength(20);
    // From the third epoch on (optimizer state and caches exist), the count does not move.
    expect(new Set(tensors.slice(2)).size).toBe(1);
    const growth = Math.max(...rss.slice(5)) - rss[4]!;
    expect(growth).toBeLessThan(32 * 1024 * 1024);
  });
});
