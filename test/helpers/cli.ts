// Test helpers for spawning the nabla command from source and making scratch folders.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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

export interface RunningNabla {
  readonly child: ChildProcess;
  /** Resolves with the output so far once it matches `re`. */
  waitFor(re: RegExp): Promise<string>;
  /** Resolves with the exit code. */
  readonly exit: Promise<number | null>;
}

/** Starts `nabla <args>` from source without waiting for it (servers, Ctrl-C). */
export function startNabla(args: readonly string[]): RunningNabla {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT });
  let out = '';
  const waiters: { re: RegExp; done: (s: string) => void }[] = [];
  const check = () => {
    for (const w of [...waiters])
      if (w.re.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done(out);
      }
  };
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    check();
  });
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString();
    check();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exit,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        waiters.push({ re, done: resolve });
        check();
        void exit.then(() => {
          // Give the last output a moment to arrive.
          setTimeout(() => reject(new Error(`exited before ${re}:\n${out}`)), 50);
        });
      }),
  };
}
