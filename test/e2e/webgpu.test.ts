// The webgpu backend in Node as a user meets it: an adapter is found (SwiftShader in CI) and named,
// the seed network trains to the cpu's losses, the process exits by itself, reads work without
// synchronous waits (as in a browser), a lost device gives a clear error, and `nabla train
// --backend webgpu` trains the digits MLP.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nabla, ROOT, tmp } from '../helpers/cli.js';
import { seedRun } from '../helpers/seed.js';

const haveWebgpu =
  process.env.NABLA_REQUIRE_WEBGPU === '1' || existsSync(join(ROOT, 'node_modules/webgpu'));

interface ChildResult {
  readonly losses: number[];
  readonly adapter: string;
  readonly syncError: string;
  readonly destroyedError: string;
  readonly hostCalls: Record<string, number>;
}

function child(mode: string): ChildResult {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/e2e/webgpu/child.ts'), mode],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
  );
  // a process kept alive by the GPU would be killed by the timeout (status null)
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
}

const cpuLosses = () => seedRun().losses;

function expectLosses(got: number[], want: number[]): void {
  expect(got).toHaveLength(want.length);
  got.forEach((v, i) =>
    expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(want[i]!) + 1e-7),
  );
}

describe.runIf(haveWebgpu)('webgpu in Node', () => {
  it('finds an adapter, trains the seed network to the cpu losses and exits by itself', () => {
    const r = child('sync');
    console.log(`webgpu adapter: ${r.adapter}`);
    expect(r.adapter).toMatch(/^webgpu \(/);
    expectLosses(r.losses, cpuLosses());
    // forward, loss, backward and the update all ran on the GPU
    expect(r.hostCalls).toEqual({});
  });

  it('reads asynchronously where it cannot wait (a browser): item() names the async form', () => {
    const r = child('async');
    expect(r.syncError).toMatch(/await tensor\.data\(\).*itemAsync/);
    expectLosses(r.losses, cpuLosses());
  });

  it('says so when the device is gone', () => {
    const r = child('destroyed');
    expect(r.destroyedError).toMatch(/^DeviceError: webgpu: .*(lost|destroyed)/);
  });

  it('nabla train --backend webgpu trains the digits MLP (SwiftShader in CI)', () => {
    const out = tmp();
    const r = nabla(
      [
        'train',
        '--data',
        'digits',
        '--model',
        'mlp',
        '--backend',
        'webgpu',
        '--epochs',
        '12',
        '--lr',
        '0.003',
        '--out',
        out,
      ],
      600_000,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/backend webgpu/);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
      testAccuracy: number;
    };
    console.log(`digits MLP on webgpu: test accuracy ${(metrics.testAccuracy * 100).toFixed(2)}%`);
    expect(metrics.testAccuracy).toBeGreaterThanOrEqual(0.97);
  }, 600_000);
});
