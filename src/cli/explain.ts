// `nabla explain`: one step of backpropagation told with real numbers, on the seed network by default
// or on a saved model, as terminal text, Markdown or a self-contained HTML page.
import { writeFileSync } from 'node:fs';
import { explain } from '../diagnostics/explain.js';
import { tensor } from '../functions/creation.js';
import { crossEntropy, mseLoss } from '../nn/functional/loss.js';
import { relu } from '../nn/functional/activation.js';
import { Linear } from '../nn/layers/linear.js';
import { Module } from '../nn/module.js';
import { katexCss } from '../node/katex.js';
import { load } from '../node/io.js';
import { SGD } from '../optim/sgd.js';
import { manualSeed } from '../random.js';
import type { Tensor } from '../tensor.js';
import { UsageError, parseFlags, usageText, type CommandSpec } from './args.js';
import { MODEL_NAMES, buildModel, type ModelName } from './models.js';
import type { Writer } from './progress.js';

export const EXPLAIN_SPEC: CommandSpec = {
  name: 'explain',
  summary: 'Show one step of backpropagation with its numbers: forward, chain rule, ∂L/∂w, update.',
  usage: 'nabla explain [options]',
  flags: {
    format: {
      type: 'string',
      short: 'f',
      value: '<text|markdown|html>',
      help: 'output format (html: a self-contained page with typeset math)',
      default: 'text',
    },
    out: { type: 'string', short: 'o', value: '<file>', help: 'write to a file instead of stdout' },
    model: {
      type: 'string',
      short: 'm',
      value: '<name>',
      help: `seed (Linear(2,2) → ReLU → Linear(2,1), MSE) or a nabla train preset: ${MODEL_NAMES.join(', ')} (cross-entropy)`,
      default: 'seed',
    },
    weights: {
      type: 'string',
      short: 'w',
      value: '<file>',
      help: 'load the model from a .safetensors state dict (nabla train writes model.safetensors)',
    },
    seed: {
      type: 'string',
      value: '<n>',
      help: 'manualSeed(n) before building the model (its initial weights)',
      default: '0',
    },
    input: {
      type: 'string',
      short: 'i',
      value: '<json>',
      help: 'the input batch, e.g. "[[1, 2]]"',
      default: '[[1, 2]]',
    },
    label: {
      type: 'string',
      short: 'l',
      value: '<json>',
      help: 'the targets: values for seed ("[[1]]"), class indices for presets ("[0]"), or the class labels of a CSV run\'s --weights (\'["setosa"]\')',
    },
    classes: {
      type: 'string',
      value: '<n>',
      help: 'number of classes of a preset without --weights',
      default: '3',
    },
    lr: { type: 'string', value: '<lr>', help: 'the SGD learning rate', default: '0.01' },
    'max-nodes': {
      type: 'string',
      value: '<n>',
      help: 'refuse graphs with more nodes than this',
      default: '64',
    },
    help: { type: 'boolean', short: 'h', help: 'show this help' },
  },
  examples: [
    'nabla explain',
    'nabla explain --format html --out step.html',
    "nabla explain --input '[[1, -2]]' --label '[[0.5]]' --lr 0.1",
    "nabla explain --model mlp-small --weights runs/iris/model.safetensors --input '[[5.1, 3.5, 1.4, 0.2]]' --label '[0]'",
  ],
};

/** The seed network of docs/seed.md. */
export class SeedNet extends Module {
  fc1 = new Linear(2, 2);
  fc2 = new Linear(2, 1);

  forward(x: Tensor): Tensor {
    return this.fc2.forward(relu(this.fc1.forward(x)));
  }
}

export interface ExplainConfig {
  readonly format: 'text' | 'markdown' | 'html';
  readonly out: string | undefined;
  readonly model: 'seed' | ModelName;
  readonly weights: string | undefined;
  readonly seed: number;
  readonly input: unknown;
  readonly label: unknown;
  readonly classes: number;
  readonly lr: number;
  readonly maxNodes: number;
}

function number(v: string, flag: string, spec: CommandSpec, integer = false): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
    throw new UsageError(
      `--${flag} expects ${integer ? 'an integer' : 'a number'}, got '${v}'`,
      spec,
    );
  return n;
}

function json(v: string, flag: string, spec: CommandSpec): unknown {
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw new UsageError(`--${flag} expects a JSON array such as [[1, 2]], got '${v}'`, spec);
  }
}

/** Parses argv; 'help' when --help was given. */
export function parseExplainArgs(argv: readonly string[]): ExplainConfig | 'help' {
  const spec = EXPLAIN_SPEC;
  const f = parseFlags(spec, argv);
  if (f.help) return 'help';
  const format = f.format as string;
  if (!['text', 'markdown', 'md', 'html'].includes(format))
    throw new UsageError(`--format must be text, markdown or html, got '${format}'`, spec);
  const model = f.model as string;
  if (model !== 'seed' && !(MODEL_NAMES as readonly string[]).includes(model))
    throw new UsageError(
      `unknown --model '${model}': use seed or one of ${MODEL_NAMES.join(', ')}`,
      spec,
    );
  const label = f.label as string | undefined;
  return {
    format: format === 'md' ? 'markdown' : (format as ExplainConfig['format']),
    out: f.out as string | undefined,
    model: model as ExplainConfig['model'],
    weights: f.weights as string | undefined,
    seed: number(f.seed as string, 'seed', spec, true),
    input: json(f.input as string, 'input', spec),
    label: json(label ?? (model === 'seed' ? '[[1]]' : '[0]'), 'label', spec),
    classes: number(f.classes as string, 'classes', spec, true),
    lr: number(f.lr as string, 'lr', spec),
    maxNodes: number(f['max-nodes'] as string, 'max-nodes', spec, true),
  };
}

/** --label of a preset: class indices, or labels of the run when its weights carry a mapping. */
function classIndices(label: unknown, labels: readonly string[] | undefined): number[] {
  if (!Array.isArray(label)) return label as number[];
  return label.map((l: unknown) => {
    if (typeof l !== 'string') return l as number;
    const k = labels?.indexOf(l) ?? -1;
    if (k < 0)
      throw new UsageError(
        labels === undefined
          ? `--label ${JSON.stringify(l)}: labels by name need --weights of a run with text labels; give class indices`
          : `--label ${JSON.stringify(l)} is not one of the run's classes (${labels.map((c) => JSON.stringify(c)).join(', ')})`,
        EXPLAIN_SPEC,
      );
    return k;
  });
}

/** Builds the model, runs explain on one batch, and writes the account. */
export async function runExplain(cfg: ExplainConfig, out: Writer): Promise<void> {
  manualSeed(cfg.seed);
  const x = tensor(cfg.input as number[][]);
  const file = cfg.weights === undefined ? undefined : load(cfg.weights);
  const weights = file?.tensors;
  // A CSV run's weights carry its label mapping: --label may name the classes by their labels.
  const labelsText = file?.metadata?.['nabla.labels'];
  const labels = labelsText === undefined ? undefined : (JSON.parse(labelsText) as string[]);
  let model: Module;
  let y: Tensor;
  if (cfg.model === 'seed') {
    model = new SeedNet();
    y = tensor(cfg.label as number[][]);
  } else {
    // The preset's class count: from the last weight matrix of the file, else --classes.
    const last = Object.values(weights ?? {})
      .filter((t) => t.ndim === 2)
      .at(-1);
    model = buildModel(cfg.model, x.shape.slice(1), last?.shape[0] ?? cfg.classes);
    y = tensor(classIndices(cfg.label, labels), { dtype: 'int32' });
  }
  if (weights !== undefined) model.loadStateDict(new Map(Object.entries(weights)));
  model.eval();
  const optimizer = new SGD(model.parameters(), { lr: cfg.lr });
  const forward = model.forward as (x: Tensor) => Tensor;
  const lossName = cfg.model === 'seed' ? 'MSE' : 'cross-entropy';
  const ex = explain(
    () => (cfg.model === 'seed' ? mseLoss(forward(x), y) : crossEntropy(forward(x), y)),
    {
      model,
      optimizer,
      names: { x, y },
      maxNodes: cfg.maxNodes,
      title: `One step of backpropagation: ${cfg.model === 'seed' ? 'the seed network' : cfg.model}, ${lossName} loss, SGD`,
    },
  );
  const text =
    cfg.format === 'html'
      ? await ex.toHtml({ katexCss: katexCss() })
      : cfg.format === 'markdown'
        ? ex.toMarkdown()
        : ex.toText();
  if (cfg.out === undefined) out.write(text);
  else {
    writeFileSync(cfg.out, text);
    out.write(`wrote ${cfg.out}\n`);
  }
}

/** The command: parse, run, and return the exit code (usage errors are thrown as UsageError). */
export async function explainCommand(argv: readonly string[], out: Writer): Promise<number> {
  const cfg = parseExplainArgs(argv);
  if (cfg === 'help') out.write(`${usageText(EXPLAIN_SPEC)}\n`);
  else await runExplain(cfg, out);
  return 0;
}
