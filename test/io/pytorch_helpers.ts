// Test helpers for PyTorch export: run an exported file with /usr/bin/python3 and compare its output with nabla's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';
import type { Tensor } from '../../src/index.js';
import { save } from '../../src/node/io.js';

const PYTHON = '/usr/bin/python3';
const RUNNER = fileURLToPath(new URL('./run_pytorch_export.py', import.meta.url));
export const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const SKIP = `"${PYTHON} -c 'import torch'" failed (install python3-torch), so the exported files are not run`;
// CI (.ci/run installs python3-torch) sets NABLA_REQUIRE_TORCH=1: there a missing torch fails.
if (!hasTorch && process.env.NABLA_REQUIRE_TORCH === '1')
  throw new Error(`PyTorch export: ${SKIP}`);
if (!hasTorch) console.warn(`PyTorch export: ${SKIP}`);

/** A describe title that says why its tests are skipped when PyTorch is missing. */
export const torchTitle = (title: string): string =>
  hasTorch ? title : `${title} (skipped: ${SKIP})`;

/** A scratch folder, removed after the file's tests. */
export function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-pytorch-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface PytorchRun {
  readonly class: string;
  /** The output's tensors, nested tuples flattened in order. */
  readonly outputs: readonly { readonly shape: number[]; readonly data: number[] }[];
}

/**
 * Runs an exported file with PyTorch on inputs saved from nabla (test/io/run_pytorch_export.py);
 * with `stateOut`, PyTorch also writes the model's state dict there with the file's save_safetensors.
 */
export function runExported(
  source: string,
  inputs: readonly Tensor[],
  at: string,
  stateOut?: string,
): PytorchRun {
  const path = join(at, 'inputs.safetensors');
  save(Object.fromEntries(inputs.map((t, i) => [`input${i}`, t])), path);
  const args = [RUNNER, source, path, ...(stateOut === undefined ? [] : [stateOut])];
  const r = spawnSync(PYTHON, args, { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as PytorchRun;
}

/** The largest |a − b| between nabla's output tensors (in order) and PyTorch's. */
export function maxAbsDiff(nabla: Tensor | readonly Tensor[], torch: PytorchRun): number {
  const mine = Array.isArray(nabla) ? (nabla as readonly Tensor[]) : [nabla as Tensor];
  expect(torch.outputs.map((o) => o.shape)).toEqual(mine.map((t) => t.shape));
  let m = 0;
  mine.forEach((t, k) => {
    const x = t.dataSync();
    torch.outputs[k]!.data.forEach((v, i) => (m = Math.max(m, Math.abs(v - x[i]!))));
  });
  return m;
}
