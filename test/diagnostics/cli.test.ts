// `nabla lr-find` and `nabla train --diagnose --plots` as spawned processes: output, exit codes and the files they write.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nabla, tmp } from '../helpers/cli.js';

describe('nabla lr-find', () => {
  it('sweeps, prints the curve and a suggestion, and writes the plot', () => {
    const dir = tmp();
    const plot = join(dir, 'lr.svg');
    const r = nabla(['lr-find', '--model', 'mlp-small', '--num-iter', '60', '--plot', plot]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/nabla lr-find: digits \(1258 train\), model mlp-small, adam/);
    expect(r.stdout).toMatch(/← steepest descent/);
    const lr = Number(/suggested lr: ([\d.e+-]+)/.exec(r.stdout)![1]);
    expect(lr).toBeGreaterThan(1e-5);
    expect(lr).toBeLessThan(1);
    const svg = readFileSync(plot, 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toMatch(/suggested lr/);
  });

  it('is listed in the help, and bad flags are usage errors (exit 2)', () => {
    expect(nabla(['--help']).stdout).toMatch(/lr-find +Sweep the learning rate/);
    expect(nabla(['lr-find', '--help']).stdout).toMatch(/--start-lr <rate>/);
    for (const args of [
      ['lr-find', '--plot', 'x.pdf'],
      ['lr-find', '--start-lr', '1', '--end-lr', '0.1'],
      ['lr-find', '--num-iter', '1'],
    ]) {
      const r = nabla(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/Usage: nabla lr-find/);
    }
  });
});

describe('nabla train --diagnose --plots', () => {
  it('prints a health line per epoch and the report, and writes SVG and PNG plots', () => {
    const out = tmp();
    const plots = join(out, 'plots');
    const r = nabla(['train', '--epochs', '2', '--diagnose', '--plots', plots, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const epochAt = lines.findIndex((l) => /^epoch\s+1\/2 \[/.test(l));
    expect(lines[epochAt + 1]).toMatch(/^ {2}health: ok \(grad norm first\/last layer/);
    expect(r.stdout).toMatch(/Gradient health: 80 steps, 80 records \(every 1 step\)/);
    expect(r.stdout).toMatch(/✓ No alarms/);
    expect(r.stdout).toMatch(/Per layer \(medians over the records\):\nlayer +grad norm/);
    for (const name of ['curves', 'loss-steps', 'grad-norms']) {
      for (const ext of ['svg', 'png'])
        expect(existsSync(join(plots, `${name}.${ext}`))).toBe(true);
    }
    expect(r.stdout).toMatch(/plots: .*grad-norms\.png/);
    // Without the flags nothing of it appears.
    const plain = nabla(['train', '--epochs', '1', '--out', tmp()]);
    expect(plain.stdout).not.toMatch(/health|Gradient health/);
  });
});
