// PyTorch export: a nabla model as Python source defining the same torch.nn.Module, plus a loader for its safetensors weights.
import type { DType } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { defineOptions, type Spec } from '../options.js';
import type { Module } from '../nn/module.js';
import { pyBool } from '../nn/pyrepr.js';
import { Tensor } from '../tensor.js';
import { PytorchExportError, kindOf, layerExpr, pyStr } from './pytorch_layers.js';
import { attr, forwardSource, traceCustomCalls, traceNote, type Frame } from './pytorch_trace.js';

export { PytorchExportError } from './pytorch_layers.js';

export interface PytorchSourceOptions {
  /** The Python class of the model (default: the model's class name for a custom module, else 'Model'). */
  readonly className?: string;
  /**
   * Inputs to trace the model with: needed when the tree holds custom modules (subclasses of
   * nn.Module with their own forward), whose forward is derived from one call.
   */
  readonly exampleInputs?: Tensor | readonly Tensor[];
  /** The weights file that load() reads by default, beside the .py file (default 'model.safetensors'). */
  readonly weightsFile?: string;
  /** A line for the file's opening comment (where the model came from). */
  readonly description?: string;
}

const SOURCE_SPEC: Spec<PytorchSourceOptions> = {
  className: 'string',
  exampleInputs: ['tensor', 'array'],
  weightsFile: 'string',
  description: 'string',
};
const PYTORCH_SOURCE = defineOptions<PytorchSourceOptions>('pytorchSource', SOURCE_SPEC);

/** savePytorch's options: pytorchSource's, less the weights file it names itself. */
export type SavePytorchOptions = Omit<PytorchSourceOptions, 'weightsFile'>;

/** @internal savePytorch's schema (declared here, beside pytorchSource's keys). */
export const SAVE_PYTORCH = defineOptions<SavePytorchOptions>('savePytorch', {
  className: SOURCE_SPEC.className,
  exampleInputs: SOURCE_SPEC.exampleInputs,
  description: SOURCE_SPEC.description,
});

/** torch dtypes of the tensors nabla saves (int32 state is written as int64, PyTorch's). */
const TORCH_DTYPE: { readonly [D in DType]: string } = {
  float32: 'torch.float32',
  float64: 'torch.float64',
  int32: 'torch.int64',
  bool: 'torch.bool',
};

/** Names the file defines or imports, which no class may take. */
const RESERVED = [
  'json',
  'os',
  'struct',
  'sys',
  'torch',
  'nn',
  'load',
  'read_safetensors',
  'save_safetensors',
  '_DTYPES',
];

/** Attributes of torch.nn.ModuleDict that its keys may not take (add_module raises KeyError). */
const TORCH_MODULE_DICT_ATTRS = new Set(
  (
    'keys values items update pop clear training forward train eval parameters buffers children ' +
    'modules state_dict load_state_dict to cpu cuda apply zero_grad add_module register_buffer ' +
    'register_parameter type float double half'
  ).split(' '),
);

const indent = (s: string, n: number) => s.replace(/\n/g, `\n${' '.repeat(n)}`);

function pyIdent(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** A custom module's traced forward and the comment saying what it was traced on. */
interface Forward {
  readonly source: string;
  readonly note: string;
}

/** The pieces of the Python file being built: custom classes (dependencies first) by module. */
class Writer {
  readonly classes: string[] = [];
  readonly #taken = new Set<string>(RESERVED);
  readonly #forwards: ReadonlyMap<Module, Forward>;
  readonly #seen = new Set<Module>();
  /** Class names by class body (with CLASS_NAME for the name), so identical modules share one class. */
  readonly #bodies = new Map<string, string>();

  constructor(forwards: ReadonlyMap<Module, Forward>) {
    this.#forwards = forwards;
  }

  /** A fresh class name based on `base`. */
  name(base: string): string {
    let name = pyIdent(base);
    for (let i = 2; this.#taken.has(name); i++) name = `${pyIdent(base)}_${i}`;
    this.#taken.add(name);
    return name;
  }

  /** The Python expression that builds `m` (defining a class for it first if it is custom). */
  build = (m: Module, path: string): string => {
    // NOTE: a module without tensors (an activation that TransformerEncoder's layers share) may
    // be built once per place; one with state would have its weights saved under both names.
    if (this.#seen.has(m) && Object.keys(m.stateDict()).length > 0)
      throw new PytorchExportError(
        `cannot export ${m.constructor.name} (at '${path}') to PyTorch: the same module is used at two places in the model, ` +
          'and PyTorch would save its weights under both names',
      );
    this.#seen.add(m);
    const kind = kindOf(m);
    const at = (n: string) => (path === '' ? n : `${path}.${n}`);
    const kids = m.namedChildren();
    if (kind.kind === 'layer') return layerExpr(m, kind.entry, path, this.build);
    if (kind.kind === 'custom') return `${this.customClass(m, path)}()`;
    if (
      m.namedParameters({ recurse: false }).length > 0 ||
      m.namedBuffers({ recurse: false }).length > 0
    )
      throw new PytorchExportError(
        `cannot export ${m.constructor.name} (at '${path}') to PyTorch: a container with tensors of its own`,
      );
    if (kind.kind === 'dict') {
      const taken = kids.find(([k]) => TORCH_MODULE_DICT_ATTRS.has(k));
      if (taken)
        throw new PytorchExportError(
          `cannot export ${m.constructor.name} (at '${path}') to PyTorch: nn.ModuleDict cannot hold the key '${taken[0]}' (an attribute of nn.ModuleDict)`,
        );
      const items = kids.map(([k, c]) => `${pyStr(k)}: ${indent(this.build(c, at(k)), 4)},`);
      return items.length === 0
        ? 'nn.ModuleDict()'
        : `nn.ModuleDict({\n    ${items.join('\n    ')}\n})`;
    }
    kids.forEach(([k], i) => {
      if (k !== String(i))
        throw new PytorchExportError(
          `cannot export ${m.constructor.name} (at '${path}') to PyTorch: its submodule '${k}' is not one of its numbered entries`,
        );
    });
    const items = kids.map(([k, c]) => `${indent(this.build(c, at(k)), 4)},`);
    if (kind.kind === 'list')
      return items.length === 0
        ? 'nn.ModuleList()'
        : `nn.ModuleList([\n    ${items.join('\n    ')}\n])`;
    return items.length === 0
      ? 'nn.Sequential()'
      : `nn.Sequential(\n    ${items.join('\n    ')}\n)`;
  };

  /**
   * Defines the class of a custom module (its parameters, buffers, submodules and forward), or
   * reuses the class of an identical one; returns its name.
   */
  customClass(m: Module, path: string, name?: string): string {
    const body: string[] = [];
    for (const [n, p] of m.namedParameters({ recurse: false })) {
      const grad = p.requiresGrad ? '' : ', requires_grad=False';
      body.push(
        `${attr('self', n)} = nn.Parameter(torch.empty(${shapeArg(p)}, dtype=${TORCH_DTYPE[p.dtype]})${grad})`,
      );
    }
    const persistent = new Set(Object.keys(m.stateDict()));
    for (const [n, b] of m.namedBuffers({ recurse: false })) {
      body.push(
        `self.register_buffer(${pyStr(n)}, torch.empty(${shapeArg(b)}, dtype=${TORCH_DTYPE[b.dtype]}), persistent=${pyBool(persistent.has(n))})`,
      );
    }
    for (const [n, c] of m.namedChildren()) {
      const expr = this.build(c, path === '' ? n : `${path}.${n}`);
      body.push(
        attr('self', n) === `self.${n}`
          ? `self.${n} = ${indent(expr, 8)}`
          : `self.add_module(${pyStr(n)}, ${indent(expr, 8)})`,
      );
    }
    const fwd = this.#forwards.get(m);
    const forward =
      fwd === undefined
        ? [
            'def forward(self, *args):',
            `    raise NotImplementedError(${pyStr(`${m.constructor.name}.forward did not run when nabla traced the model, so it is not known`)})`,
          ].join('\n')
        : `# ${fwd.note}\n${fwd.source}`;
    const text = [
      'class CLASS_NAME(nn.Module):',
      `    """nabla's ${m.constructor.name}."""`,
      '',
      '    def __init__(self):',
      '        super().__init__()',
      ...body.map((l) => `        ${l}`),
      '',
      `    ${indent(forward, 4)}`,
    ].join('\n');
    const same = name === undefined ? this.#bodies.get(text) : undefined;
    if (same !== undefined) return same;
    const cls = name ?? this.name(m.constructor.name);
    this.#bodies.set(text, cls);
    this.classes.push(text.replace('CLASS_NAME', cls));
    return cls;
  }
}

const shapeArg = (t: Tensor) =>
  t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;

/** Each custom module's Python forward, from one traced call of the model. */
function deriveForwards(
  model: Module,
  inputs: readonly Tensor[] | undefined,
): Map<Module, Forward> {
  const paths = new Map<Module, string>(model.namedModules().map(([p, m]) => [m, p]));
  const customs = [...paths.keys()].filter((m) => kindOf(m).kind === 'custom');
  const out = new Map<Module, Forward>();
  if (customs.length === 0) return out;
  if (inputs === undefined) {
    const m = customs[0]!;
    throw new PytorchExportError(
      `cannot export ${m.constructor.name} to PyTorch without an example input: its forward is derived by running it once (give exampleInputs)`,
    );
  }
  const { frames } = traceCustomCalls(model, inputs);
  const byModule = new Map<Module, Frame[]>();
  for (const f of frames) byModule.set(f.module, [...(byModule.get(f.module) ?? []), f]);
  for (const [m, fs] of byModule) {
    const path = paths.get(m) ?? '';
    const sources = fs.map((f) => forwardSource(f, path));
    if (sources.some((s) => s !== sources[0]))
      throw new PytorchExportError(
        `cannot export ${m.constructor.name}${path === '' ? '' : ` (at '${path}')`} to PyTorch: its forward took different paths on different calls`,
      );
    out.set(m, { source: sources[0]!, note: traceNote(fs[0]!) });
  }
  return out;
}

/**
 * Python source defining `model` as a torch.nn.Module: built-in layers become their torch.nn
 * constructor calls (PyTorch's class names and arguments), containers nn.Sequential/ModuleList/
 * ModuleDict, and each custom module a class of its own whose forward calls its submodules as
 * nabla's did in one traced call (a forward that computes anything itself is refused with a
 * PytorchExportError naming the module). The file also defines read_safetensors(path) (with the
 * safetensors package when installed, else a small reader on json, struct and torch.frombuffer),
 * save_safetensors(tensors, path) (to bring weights trained in PyTorch back to nabla) and
 * load(path=None), which builds the model and loads the weights saved beside the file.
 */
export function pytorchSource(model: Module, opts?: PytorchSourceOptions): string {
  PYTORCH_SOURCE.check(opts);
  const inputs =
    opts?.exampleInputs === undefined
      ? undefined
      : opts.exampleInputs instanceof Tensor
        ? [opts.exampleInputs]
        : [...opts.exampleInputs];
  const owners = new Map<Tensor, string>();
  for (const [key, t] of Object.entries(model.stateDict({ keepVars: true }))) {
    const first = owners.get(t);
    if (first !== undefined)
      throw new PytorchExportError(
        `cannot export ${model.constructor.name} to PyTorch: '${key}' is the same tensor as '${first}' (tied weights are not written as such)`,
      );
    owners.set(t, key);
  }
  const forwards = deriveForwards(model, inputs);
  const w = new Writer(forwards);
  const root = kindOf(model);
  const requested =
    opts?.className ??
    (root.kind === 'custom' && model.constructor.name !== '' ? model.constructor.name : 'Model');
  const name = w.name(requested);
  if (name !== requested)
    throw new ArgumentError(
      `className must be a Python identifier other than ${RESERVED.join(', ')}, got '${requested}'`,
    );
  if (root.kind === 'custom') w.customClass(model, '', name);
  else {
    // A built-in root becomes a subclass of its torch.nn class whose __init__ passes its arguments.
    const expr = w.build(model, '');
    const open = expr.indexOf('(');
    w.classes.push(
      [
        `class ${name}(${expr.slice(0, open)}):`,
        `    """nabla's ${model.constructor.name}."""`,
        '',
        '    def __init__(self):',
        `        super().__init__${indent(expr.slice(open), 8)}`,
      ].join('\n'),
    );
  }
  const weights = opts?.weightsFile ?? 'model.safetensors';
  return [
    `# ${name}: a PyTorch nn.Module written by nabla's PyTorch export${opts?.description ? ` (${opts.description})` : ''}.`,
    '# load() builds it and loads the weights saved beside this file; run this file to print the model.',
    'import json',
    'import os',
    'import struct',
    'import sys',
    '',
    'import torch',
    'from torch import nn',
    '',
    ...w.classes.flatMap((c) => ['', c, '']),
    LOADER.replace(/MODEL_CLASS/g, name).replace(/WEIGHTS_FILE/g, pyStr(weights)),
  ].join('\n');
}

/** The loader part of every file: read_safetensors and load. */
const LOADER = `
_DTYPES = {
    'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
    'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8,
    'U8': torch.uint8, 'BOOL': torch.bool,
}


def read_safetensors(path):
    """The tensors of a .safetensors file by name: with the safetensors package if installed,
    else read here (an 8-byte little-endian header size, a JSON header, then the raw data)."""
    try:
        from safetensors.torch import load_file
    except ImportError:
        load_file = None
    if load_file is not None:
        return load_file(path)
    if sys.byteorder != 'little':
        raise RuntimeError('this reader needs a little-endian machine; install safetensors')
    with open(path, 'rb') as f:
        data = f.read()
    (size,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + size])
    base = 8 + size
    tensors = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        dtype = _DTYPES[info['dtype']]
        start, end = info['data_offsets']
        if end > start:
            flat = torch.frombuffer(bytearray(data[base + start:base + end]), dtype=dtype)
        else:
            flat = torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info['shape'])
    return tensors


def save_safetensors(tensors, path, metadata=None):
    """Writes tensors (name -> tensor, e.g. model.state_dict()) as a .safetensors file, which
    nabla's loadStateDict reads back."""
    names = {dtype: name for name, dtype in _DTYPES.items()}
    header = {'__metadata__': dict(metadata or {'format': 'pt'})}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        flat = tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
        try:
            data = flat.numpy().tobytes()
        except (ImportError, RuntimeError):
            data = bytes(flat.tolist())
        header[name] = {'dtype': names[tensor.dtype], 'shape': list(tensor.shape),
                        'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text)
        for data in chunks:
            f.write(data)


def load(path=None):
    """MODEL_CLASS() with the weights in \`path\` (default: WEIGHTS_FILE beside this file)."""
    if path is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
    model = MODEL_CLASS()
    model.load_state_dict(read_safetensors(path))
    return model


if __name__ == '__main__':
    print(load(sys.argv[1] if len(sys.argv) > 1 else None))
`;
