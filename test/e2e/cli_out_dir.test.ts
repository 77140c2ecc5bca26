// Regression tests for `nabla train --out` (issue 13, defect 10): the folder is locked against a
// second run, a bad --out is a clear message (not a stack trace), and .tmp files of a killed save
// are removed by the next run.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/cli/out_dir.js';
import { CLI, ROOT, nabla, tmp } from '../helpers/cli.js';

/** A pid no process has (above Linux's largest pid_max). */
const DEAD_PID = 999_999_999;
const QUICK = ['--epochs', '1', '--limit', '64', '--backend', 'cpu', '--quiet'];

describe('nabla train --out', () => {
  it('refuses a folder another live run holds, naming its pid', () => {
    const out = tmp();
    // This test process stands in for the other run.
    writeFileSync(join(out, LOCK_FILE), `${process.pid}\n`);
    const r = nabla(['train', ...QUICK, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^nabla: --out \\S+ is in use by another nabla run \\(pid ${process.pid}`),
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
    // The other run's lock is left alone.
    expect(readFileSync(join(out, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
  });

  it('two runs at once on the same --out: the second is refused, the first goes on', async () => {
    const out = tmp();
    const first = spawn(
      process.execPath,
      [...CLI, 'train', '--epochs', '500', '--backend', 'cpu', '--out', out],
      { cwd: ROOT },
    );
    let stdout = '';
    first.stdout.setEncoding('utf8');
    const started = new Promise<void>((resolve) => {
      first.stdout.on('data', (d: string) => {
        stdout += d;
        if (/^epoch\s+1\/500/m.test(stdout)) resolve();
      });
    });
    const closed = new Promise<number | null>((resolve) => first.on('close', resolve));
    await started;
    expect(readFileSync(join(out, LOCK_FILE), 'utf8').trim()).toBe(String(first.pid));
    const second = nabla(['train', ...QUICK, '--out', out]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/is in use by another nabla run \(pid \d+/);
    first.kill('SIGINT');
    expect(await closed).toBe(130);
    // The first run released its lock when it ended.
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('takes over a stale lock and removes .tmp files of a killed save', () => {
    const out = tmp();
    writeFileSync(join(out, LOCK_FILE), `${DEAD_PID}\n`);
    const orphan = `.model.safetensors.${DEAD_PID}.0123456789ab.tmp`;
    writeFileSync(join(out, orphan), 'half a file');
    const r = nabla(['train', '--epochs', '1', '--limit', '64', '--backend', 'cpu', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`took over the lock .* from pid ${DEAD_PID}`));
    expect(r.stdout).toMatch(/removed 1 leftover \.tmp file/);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('an --out that is a file, or that cannot be created, is a clear message', () => {
    const dir = tmp();
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const cases: [string, RegExp][] = [
      [file, /is a file, not a folder/],
      [join(file, 'sub'), /cannot use the folder \(a part of the path is a file/],
    ];
    if (existsSync('/proc/self'))
      cases.push(['/proc/nabla-no-such/x', /cannot create the folder \(.+\)/]);
    for (const [out, message] of cases) {
      const r = nabla(['train', ...QUICK, '--out', out]);
      expect(r.code, out).toBe(1);
      expect(r.stderr, out).toMatch(/^nabla: --out /);
      expect(r.stderr, out).toMatch(message);
      expect(r.stderr, out).not.toMatch(/\n\s+at /);
    }
  });
});
