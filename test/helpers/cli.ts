// Test helpers for spawning the nabla command from source and making scratch folders.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;

/** node arguments that run the command from its TypeScript source. */
export const CLI = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `nabla <args>` to completion. */
export function nabla(args: readonly string[], timeout = 120_000): CliResult {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary folder. */
export function tmp(prefix = 'nabla-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
