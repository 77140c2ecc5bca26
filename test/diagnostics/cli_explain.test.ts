// `nabla explain`: the seed network by default, a saved model, the three formats, usage errors.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { SeedNet, explainCommand, parseExplainArgs } from '../../src/cli/explain.js';
import { saveStateDict } from '../../src/node/io.js';
import { tensor } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nabla-explain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<string> {
  let text = '';
  const code = await explainCommand(argv, { write: (s: string) => void (text += s) } as never);
  expect(code).toBe(0);
  return text;
}

describe('nabla explain', () => {
  it('explains the seed network of examples/seed.ts by default (manualSeed(0): unit 1 dead)', async () => {
    const text = await run();
    expect(text).toContain('the seed network, MSE loss, SGD');
    expect(text).toContain('loss L = 1.14381');
    expect(text).toContain('x          = [[1, 2]]');
    expect(text).toContain('unit 1 is dead (t1 = -1.43314 ≤ 0');
    expect(text).toContain('fc2.bias ← [-0.0627515] − 0.01 · [-2.13898] = [-0.0413617]');
  });

  it('loads saved weights and takes input, label and lr', async () => {
    const net = new SeedNet();
    net.loadStateDict({
      'fc1.weight': tensor([
        [0.5, -0.25],
        [0.3, 0.8],
      ]),
      'fc1.bias': tensor([0.1, -0.2]),
      'fc2.weight': tensor([[0.7, -0.6]]),
      'fc2.bias': tensor([0.05]),
    });
    const file = join(dir, 'seed.safetensors');
    saveStateDict(net, file);
    const text = await run(
      '--weights',
      file,
      '--input',
      '[[1, 2]]',
      '--label',
      '[[1]]',
      '--lr',
      '0.1',
    );
    expect(text).toMatch(/t1 = x · fc1\.weightᵀ \+ fc1\.bias +=  ?\[\[0\.1, 1\.7\]\]/);
    expect(text).toContain('loss L = 3.61');
    expect(text).toContain('fc2.bias ← [0.05] − 0.1 ·');
    expect(text).not.toContain('dead');
  });

  it('writes Markdown and a self-contained HTML page with KaTeX and its fonts inlined', async () => {
    const md = await run('--format', 'markdown');
    expect(md).toContain('## Backward pass');
    const file = join(dir, 'step.html');
    expect(await run('--format', 'html', '--out', file)).toBe(`wrote ${file}\n`);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('class="katex-html"');
    expect(html).toContain('src:url(data:font/woff2;base64,');
    expect(html).not.toMatch(/url\((?!data:)/);
    expect(html).not.toMatch(/<(script|link)\b/);
  });

  it('explains a nabla train preset with cross-entropy', async () => {
    const text = await run(
      '--model',
      'mlp-small',
      '--input',
      '[[5.1, 3.5, 1.4, 0.2]]',
      '--label',
      '[2]',
    );
    expect(text).toContain('mlp-small, cross-entropy loss');
    // PyTorch's nodes for cross_entropy: NllLossBackward0 after LogSoftmaxBackward0
    expect(text).toContain('NllLossBackward');
    expect(text).toContain('LogSoftmaxBackward');
    expect(text).toContain('∂L/∂3.bias');
  });

  it('rejects bad flags with usage errors and big graphs with a clear message', async () => {
    expect(() => parseExplainArgs(['--format', 'pdf'])).toThrow(UsageError);
    expect(() => parseExplainArgs(['--model', 'resnet'])).toThrow("unknown --model 'resnet'");
    expect(() => parseExplainArgs(['--input', '[[1,'])).toThrow('--input expects a JSON array');
    expect(() => parseExplainArgs(['--lr', 'fast'])).toThrow('--lr expects a number');
    await expect(run('--max-nodes', '4')).rejects.toThrow('explain is for small graphs');
    expect(await run('--help')).toContain('Usage: nabla explain [options]');
  });
});
