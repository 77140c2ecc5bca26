// Regression tests for the nabla command's usage messages and help (issue 13): missing arguments
// name what is missing in one short message, help columns never run together, examples use the
// real defaults, and missing MNIST files are explained in CLI terms.
import { describe, expect, it } from 'vitest';
import { columns, usageText } from '../../src/cli/args.js';
import { EXPORT_SPEC } from '../../src/cli/export.js';
import { MODEL_NAMES } from '../../src/cli/models.js';
import { parseTrainArgs } from '../../src/cli/train.js';
import { nabla, tmp } from '../helpers/cli.js';

describe('nabla usage errors are short and say what is missing', () => {
  it('nabla export with no arguments names the missing argument, with an example', () => {
    const r = nabla(['export']);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/undefined/);
    expect(r.stderr).toMatch(/^nabla: missing --run <dir> .*or --model <preset>/);
    expect(r.stderr).toMatch(/for example: nabla export --run runs\/\S+/);
    expect(r.stderr).toMatch(/Usage: nabla export/);
    // Not buried under the whole help.
    expect(r.stderr).not.toMatch(/Options:/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(4);
  });

  it('nabla export --model without --data names --data', () => {
    const r = nabla(['export', '--model', 'mlp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nabla: missing --data <name\|file\.csv>/);
  });

  it('--plots without a folder gives one clear line, at the end or before another flag', () => {
    for (const args of [
      ['train', '--plots'],
      ['train', '--plots', '--quiet'],
    ]) {
      const r = nabla(args);
      expect(r.code, args.join(' ')).toBe(2);
      const first = r.stderr.split('\n')[0]!;
      expect(first).toMatch(/^nabla: --plots needs a value: <dir>/);
      expect(first).toMatch(/for example: nabla train --plots \S+/);
      expect(r.stderr).not.toMatch(/ambiguous|Options:/);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(4);
    }
  });
});

describe('nabla help', () => {
  it('columns() keeps at least two spaces after the longest name', () => {
    const lines = columns(
      [
        ['mlp', 'a'],
        ['mlp-dropout', 'b'],
      ],
      '  ',
    );
    expect(lines).toEqual(['  mlp          a', '  mlp-dropout  b']);
  });

  it('--help never runs two columns together', () => {
    const r = nabla(['train', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/mlp-dropoutthe/);
    for (const name of MODEL_NAMES) expect(r.stdout).toMatch(new RegExp(`^  ${name} {2,}\\S`, 'm'));
    // Every option row has a gap of two spaces or more before its description.
    const options = usageText(EXPORT_SPEC).split('Options:\n')[1]!.split('\n\n')[0]!;
    for (const row of options.split('\n')) expect(row).toMatch(/^ {2}.*\S {2,}\S/);
    const main = nabla(['--help']).stdout;
    for (const cmd of ['train', 'lr-find', 'explain', 'export', 'info'])
      expect(main).toMatch(new RegExp(`^  ${cmd} {2,}\\S`, 'm'));
  });

  it("the export help's --run example is the folder nabla train really writes", () => {
    const help = usageText(EXPORT_SPEC);
    const example = /nabla export --run (\S+)/.exec(help)![1];
    const cfg = parseTrainArgs(['--data', 'fashion-mnist', '--model', 'cnn']);
    expect(cfg).not.toBe('help');
    expect(example).toBe((cfg as { out: string }).out);
    expect(example).toBe('runs/fashion-mnist-cnn');
  });
});

describe('nabla train --data mnist without the files', () => {
  it('tells the CLI user which flag to pass and what to download, not a JavaScript call', () => {
    const empty = tmp();
    const r = nabla(['train', '--data', 'mnist', '--data-dir', empty, '--out', empty]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nabla: --data mnist: files not found/);
    expect(r.stderr).toContain(empty);
    expect(r.stderr).toMatch(/--data-dir <folder>/);
    expect(r.stderr).toMatch(/https:\/\/\S+mnist/);
    expect(r.stderr).not.toMatch(/await|\.load\(|download: true/);
  });
});
