// `nabla export`: a preset model with trained weights as an ONNX file (dynamic batch dim), or as PyTorch source and safetensors.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DataError } from '../errors.js';
import { zeros } from '../functions/creation.js';
import { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET, buildOnnxModel } from '../io/onnx.js';
import { encodeModel } from '../io/onnx_proto.js';
import { loadStateDict, safeOpen } from '../node/io.js';
import { writeOnnxFile } from '../node/onnx.js';
import { savePytorch } from '../node/pytorch.js';
import { UsageError, choiceFlag, intFlag, type CommandSpec } from './args.js';
import { DATA_NAMES, loadData } from './datasets.js';
import { MODEL_NAMES, buildModel } from './models.js';
import { defaultOutDir } from './run_common.js';
import type { Writer } from './progress.js';

/** The folder `nabla train --data fashion-mnist --model cnn` writes to, as the help's example. */
const EXAMPLE_RUN = defaultOutDir('fashion-mnist', 'cnn');

export const EXPORT_SPEC: CommandSpec = {
  name: 'export',
  summary:
    'Export a preset model and its trained weights to ONNX (for onnxruntime and friends), or to PyTorch (--pytorch).',
  usage: 'nabla export [options]',
  flags: {
    run: {
      type: 'string',
      value: '<dir>',
      help: "a 'nabla train' output folder: its model, data and model.safetensors are the defaults",
    },
    model: { type: 'string', value: '<preset>', help: `one of ${MODEL_NAMES.join(', ')}` },
    data: {
      type: 'string',
      value: '<name|file.csv>',
      help: `the data the model was trained on (${DATA_NAMES.join(', ')}, or a CSV file): gives the input shape and classes`,
    },
    'data-dir': {
      type: 'string',
      value: '<dir>',
      help: 'folder with the MNIST files (CSV data only)',
    },
    target: { type: 'string', value: '<column>', help: 'CSV label column (default: the last)' },
    weights: {
      type: 'string',
      value: '<file>',
      help: 'a .safetensors state dict (as nabla train writes); without it the weights are untrained',
    },
    pytorch: {
      type: 'boolean',
      help: 'write PyTorch instead of ONNX: <stem>.py (the model as a torch.nn.Module, with load()) and <stem>.safetensors (its weights)',
    },
    out: {
      type: 'string',
      value: '<file>',
      help:
        'the .onnx file to write (default: model.onnx, in the --run folder if given); with --pytorch, the ' +
        "file stem, or a folder to write <preset>.py and <preset>.safetensors in (default: the preset's name, in the --run folder if given)",
    },
    opset: {
      type: 'string',
      value: '<n>',
      help: `ONNX opset, ${MIN_OPSET} to ${MAX_OPSET} (default: ${DEFAULT_OPSET})`,
    },
    'static-batch': {
      type: 'boolean',
      help: 'fix the batch size to --batch instead of a dynamic batch dim (ONNX)',
    },
    batch: {
      type: 'string',
      value: '<n>',
      help: 'the batch size of the example input the model is traced with (ONNX; default: 2)',
    },
    help: { type: 'boolean', short: 'h', help: 'show this help' },
  },
  examples: [
    `nabla export --run ${EXAMPLE_RUN}`,
    'nabla export --model cnn --data fashion-mnist --weights runs/x/model.safetensors --out cnn.onnx',
    `nabla export --pytorch --run ${EXAMPLE_RUN}`,
    'nabla export --pytorch --model mlp --data digits --weights runs/x/model.safetensors --out mlp',
  ],
  notes: [
    "ONNX: the graph's input is 'input' ([batch, ...sample shape]), its output 'logits'.",
    'PyTorch: `from cnn import load; model = load()` builds the model and loads the weights beside the\n' +
      'file (with plain torch; the safetensors package is used when installed). docs/scale-out.md shows\n' +
      'how to train it further with torchrun (DistributedDataParallel).',
  ],
};

/** Sample shapes and class counts of the named datasets (no need to load them to export). */
const KNOWN_DATA: Readonly<Record<string, { shape: readonly number[]; classes: number }>> = {
  digits: { shape: [1, 8, 8], classes: 10 },
  mnist: { shape: [1, 28, 28], classes: 10 },
  'fashion-mnist': { shape: [1, 28, 28], classes: 10 },
};

interface RunConfig {
  readonly model?: string;
  readonly data?: string;
  readonly dataDir?: string;
  readonly target?: string;
  readonly allowNonFinite?: boolean;
  /** A CSV run's label mapping (class index → label). */
  readonly labels?: readonly string[];
}

/** The label mapping saved in a nabla train model.safetensors, if any. */
function savedLabels(weights: string | undefined): readonly string[] | undefined {
  if (weights === undefined || !existsSync(weights)) return undefined;
  const file = safeOpen(weights);
  try {
    const text = file.metadata()?.['nabla.labels'];
    return text === undefined ? undefined : (JSON.parse(text) as string[]).map(String);
  } finally {
    file.close();
  }
}

function readRun(dir: string): RunConfig {
  const path = join(dir, 'metrics.json');
  if (!existsSync(path))
    throw new DataError(`--run ${dir}: no metrics.json (is it a 'nabla train' folder?)`);
  const json = JSON.parse(readFileSync(path, 'utf8')) as { config?: RunConfig };
  return json.config ?? {};
}

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

const str = (v: string | boolean | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined;

/** Runs `nabla export` with parsed flags, reporting to `out`. */
export async function runExport(
  flags: Readonly<Record<string, string | boolean | undefined>>,
  out: Writer,
): Promise<void> {
  const runDir = str(flags.run);
  const run = runDir === undefined ? {} : readRun(runDir);
  const givenModel = str(flags.model) ?? run.model;
  if (givenModel === undefined)
    throw new UsageError(
      `missing --run <dir> (a 'nabla train' output folder) or --model <preset>; for example: nabla export --run ${EXAMPLE_RUN}`,
      EXPORT_SPEC,
    );
  const modelName = choiceFlag(EXPORT_SPEC, 'model', givenModel, MODEL_NAMES);
  const data = str(flags.data) ?? run.data;
  if (data === undefined)
    throw new UsageError(
      `missing --data <name|file.csv> (it gives the input shape); for example: nabla export --model ${modelName} --data digits`,
      EXPORT_SPEC,
    );
  const pytorch = flags.pytorch === true;
  if (pytorch) {
    for (const onnxOnly of ['opset', 'batch', 'static-batch'] as const)
      if (flags[onnxOnly] !== undefined && flags[onnxOnly] !== false)
        throw new UsageError(
          `--${onnxOnly} is an ONNX option; --pytorch does not take it`,
          EXPORT_SPEC,
        );
  }
  const opset = intFlag(EXPORT_SPEC, 'opset', flags.opset ?? String(DEFAULT_OPSET), MIN_OPSET);
  if (opset > MAX_OPSET)
    throw new UsageError(`--opset must be at most ${MAX_OPSET}, got ${opset}`, EXPORT_SPEC);
  const batch = intFlag(EXPORT_SPEC, 'batch', flags.batch ?? '2');
  const weights =
    str(flags.weights) ?? (runDir === undefined ? undefined : join(runDir, 'model.safetensors'));
  const defaultName = pytorch ? modelName.replace(/-/g, '_') : 'model.onnx';
  let target = str(flags.out) ?? (runDir === undefined ? defaultName : join(runDir, defaultName));
  if (pytorch && isDirectory(target)) target = join(target, defaultName);

  const labels = run.labels ?? savedLabels(weights);
  let sample = KNOWN_DATA[data];
  if (sample === undefined) {
    const dataDir = str(flags['data-dir']) ?? run.dataDir;
    const column = str(flags.target) ?? run.target;
    const loaded = loadData(data, {
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(column === undefined ? {} : { target: column }),
      allowNonFinite: run.allowNonFinite,
      labels,
    });
    sample = { shape: loaded.inputShape, classes: loaded.numClasses };
  }
  let model;
  try {
    model = buildModel(modelName, sample.shape, sample.classes);
  } catch (e) {
    throw new UsageError((e as Error).message, EXPORT_SPEC);
  }
  if (weights !== undefined) {
    if (!existsSync(weights)) throw new DataError(`--weights: no such file: ${weights}`);
    loadStateDict(model, weights);
  } else {
    out.write('note: no --weights given, so the file holds freshly initialised weights\n');
  }

  const description =
    `nabla ${modelName} for ${data}` +
    (labels === undefined ? '' : `; logit k is the class labelled ${JSON.stringify(labels)}[k]`);
  if (pytorch) {
    const saved = savePytorch(model, target, {
      exampleInputs: zeros([batch, ...sample.shape]),
      description,
    });
    const stem = basename(saved.source, '.py');
    out.write(
      `wrote ${saved.source} (a torch.nn.Module) and ${saved.weights} (${Object.keys(model.stateDict()).length} tensors)\n`,
    );
    out.write(
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(stem)
        ? `  in Python, beside them: from ${stem} import load; model = load()\n`
        : `  note: '${stem}' is not a Python module name; rename the .py file (not the .safetensors) to import it\n`,
    );
    return;
  }
  const onnx = buildOnnxModel(model, zeros([batch, ...sample.shape]), {
    opsetVersion: opset,
    inputNames: ['input'],
    outputNames: ['logits'],
    dynamicBatch: flags['static-batch'] !== true,
    docString: description,
  });
  const bytes = encodeModel(onnx);
  writeOnnxFile(target, bytes);
  const counts = new Map<string, number>();
  for (const n of onnx.graph.nodes) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
  const ops = [...counts].map(([op, n]) => (n === 1 ? op : `${op}×${n}`)).join(', ');
  const shape = (dims: readonly (number | string)[]) => `[${dims.join(', ')}]`;
  const io = (v: { name: string; dims: readonly (number | string)[] }) =>
    `${v.name} ${shape(v.dims)}`;
  out.write(
    `wrote ${target} (${(bytes.length / 1024).toFixed(1)} KiB, opset ${opset}): ${onnx.graph.inputs.map(io).join(', ')} → ${onnx.graph.outputs.map(io).join(', ')}\n`,
  );
  out.write(`  ${onnx.graph.nodes.length} nodes: ${ops}\n`);
}
