// PyTorch export, custom modules: one traced call of the model gives each user module's forward as calls of its submodules.
import { noGrad } from '../autograd/grad_mode.js';
import type { RemovableHandle } from '../autograd/node.js';
import type { Module } from '../nn/module.js';
import { withOpTracer } from '../ops/trace.js';
import { Tensor } from '../tensor.js';
import { PytorchExportError, kindOf, py, pyStr } from './pytorch_layers.js';

/** A submodule call made by a custom module's own forward. */
interface SubCall {
  readonly module: Module;
  readonly args: readonly unknown[];
  output: unknown;
}

/** One call of a custom module: its arguments, the calls its forward made, what it returned. */
export interface Frame {
  readonly module: Module;
  readonly args: readonly unknown[];
  readonly calls: SubCall[];
  /** Primitives its forward ran itself (outside any submodule): not derivable. */
  readonly ops: string[];
  output: unknown;
}

/** Keyword options a built-in layer's forward takes, nabla's name → PyTorch's. */
const FORWARD_KEYWORDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  MultiheadAttention: {
    keyPaddingMask: 'key_padding_mask',
    needWeights: 'need_weights',
    attnMask: 'attn_mask',
    averageAttnWeights: 'average_attn_weights',
  },
  TransformerEncoderLayer: { srcMask: 'src_mask', srcKeyPaddingMask: 'src_key_padding_mask' },
  TransformerEncoder: { mask: 'mask', srcKeyPaddingMask: 'src_key_padding_mask' },
};

const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);

/** Python for `owner.<name>`: an attribute, or getattr for names that are not identifiers ('0'). */
export function attr(owner: string, name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !PY_KEYWORDS.has(name)
    ? `${owner}.${name}`
    : `getattr(${owner}, ${pyStr(name)})`;
}

/**
 * Python for the submodule at a dotted path below `self`: containers are indexed (`[0]`,
 * `['key']`, so a ModuleDict key such as 'keys' cannot meet a method), other modules' children
 * are attributes.
 */
function access(root: Module, path: string): string {
  let expr = 'self';
  let owner = root;
  for (const name of path.split('.')) {
    const kind = kindOf(owner).kind;
    if (kind === 'dict') expr += `[${pyStr(name)}]`;
    else if (kind === 'list' || kind === 'sequential') expr += `[${name}]`;
    else expr = attr(expr, name);
    owner = owner.namedChildren().find(([n]) => n === name)![1];
  }
  return expr;
}

/**
 * Runs the model once (eval mode, no grad; modes restored after) and records, for every call
 * of a custom module, the submodule calls its forward made and any primitive it ran itself.
 */
export function traceCustomCalls(
  model: Module,
  inputs: readonly Tensor[],
): { frames: Frame[]; rootOutput: unknown } {
  const modules = model.modules();
  const modes = modules.map((m) => m.training);
  const stack: (Frame | null)[] = [];
  const frames: Frame[] = [];
  const pending: SubCall[] = [];
  const handles: RemovableHandle[] = [];
  for (const m of modules) {
    const custom = kindOf(m).kind === 'custom';
    handles.push(
      m.registerForwardPreHook((_mod, args) => {
        const parent = stack.at(-1);
        if (parent) {
          const call: SubCall = { module: m, args: [...args], output: undefined };
          parent.calls.push(call);
          pending.push(call);
        } else pending.push({ module: m, args: [...args], output: undefined });
        const frame: Frame | null = custom
          ? { module: m, args: [...args], calls: [], ops: [], output: undefined }
          : null;
        if (frame) frames.push(frame);
        stack.push(frame);
      }),
      m.registerForwardHook((_mod, _args, output) => {
        const frame = stack.pop();
        if (frame) frame.output = output;
        const call = pending.pop();
        if (call) call.output = output;
      }),
    );
  }
  try {
    model.eval();
    const rootOutput = withOpTracer(
      (op) => {
        const top = stack.at(-1);
        if (top) top.ops.push(op);
      },
      () => noGrad(() => (model.forward as (...a: Tensor[]) => unknown)(...inputs)),
    );
    return { frames, rootOutput };
  } finally {
    for (const h of handles) h.remove();
    modules.forEach((m, i) => (m.training = modes[i]!));
  }
}

function refuse(m: Module, path: string, why: string): never {
  throw new PytorchExportError(
    `cannot export ${m.constructor.name}${path === '' ? '' : ` (at '${path}')`} to PyTorch: ${why}`,
  );
}

const shape = (t: Tensor) => `[${t.shape.join(', ')}] ${t.dtype}`;

/**
 * The Python forward of one traced custom-module call: its submodule calls in order, each
 * argument a forward input, a submodule's output or a constant. Anything else (a primitive run
 * by the forward itself, a tensor from elsewhere) is refused with the module's name.
 */
export function forwardSource(frame: Frame, path: string): string {
  const m = frame.module;
  if (frame.ops.length > 0) {
    const ops = [...new Set(frame.ops)].join(', ');
    refuse(
      m,
      path,
      `its forward computes with tensors itself (${ops}) instead of only calling submodules, so ` +
        'it cannot be written as PyTorch code; move that computation into built-in layers ' +
        '(nn.Flatten, nn.Sequential, ...) or write this module in PyTorch by hand',
    );
  }
  const names = new Map<Tensor, string>();
  const params: string[] = [];
  frame.args.forEach((a, i) => {
    if (a === undefined) return;
    if (!(a instanceof Tensor))
      refuse(
        m,
        path,
        `its forward took ${typeof a === 'object' ? 'an object' : `a ${typeof a}`} as argument ${i + 1}; only tensors can be exported`,
      );
    params.push(`x${i}`);
    if (!names.has(a)) names.set(a, `x${i}`);
  });
  const within = new Map<Module, string>();
  for (const [p, sub] of m.namedModules()) within.set(sub, p);

  const value = (v: unknown, where: string): string => {
    if (v === null || v === undefined) return 'None';
    if (v instanceof Tensor) {
      const name = names.get(v);
      if (name === undefined)
        refuse(
          m,
          path,
          `${where} is a tensor (${shape(v)}) that is neither a forward input nor a submodule's output`,
        );
      return name;
    }
    if (typeof v === 'number' || typeof v === 'boolean') return py(v);
    if (Array.isArray(v)) {
      const items = v.map((x, i) => value(x, `${where}[${i}]`));
      if (v.every((x) => typeof x === 'number')) return `[${items.join(', ')}]`;
      return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
    }
    return refuse(m, path, `${where} is ${typeof v === 'object' ? 'an object' : typeof v}`);
  };

  const bind = (v: unknown, expr: string): void => {
    if (v instanceof Tensor) {
      if (!names.has(v)) names.set(v, expr);
    } else if (Array.isArray(v)) v.forEach((x, i) => bind(x, `${expr}[${i}]`));
  };

  const lines: string[] = [];
  frame.calls.forEach((c, k) => {
    const rel = within.get(c.module);
    if (rel === undefined || rel === '')
      refuse(m, path, `its forward calls a ${c.module.constructor.name} that is not its submodule`);
    const kind = kindOf(c.module);
    if (kind.kind === 'list' || kind.kind === 'dict')
      refuse(m, path, `its forward calls a ${c.module.constructor.name}, which has no forward`);
    const target = access(m, rel);
    const args = [...c.args];
    while (args.length > 0 && args.at(-1) === undefined) args.pop();
    const keywords = FORWARD_KEYWORDS[kind.kind === 'layer' ? kind.entry.cls.name : ''];
    const parts: string[] = [];
    args.forEach((a, i) => {
      const where = `argument ${i + 1} of its call of '${rel}'`;
      const isOptions =
        keywords !== undefined &&
        i === args.length - 1 &&
        typeof a === 'object' &&
        a !== null &&
        !Array.isArray(a) &&
        !(a instanceof Tensor);
      if (!isOptions) {
        parts.push(value(a, where));
        return;
      }
      for (const [key, v] of Object.entries(a as Record<string, unknown>)) {
        if (v === undefined) continue;
        const name = keywords[key];
        if (name === undefined) refuse(m, path, `${where} has the option '${key}'`);
        parts.push(`${name}=${value(v, `${where}'s ${key}`)}`);
      }
    });
    const out = `y${k}`;
    lines.push(`${out} = ${target}(${parts.join(', ')})`);
    bind(c.output, out);
  });
  lines.push(`return ${value(frame.output, 'what its forward returns')}`);
  return [
    `def forward(self${params.map((p) => `, ${p}`).join('')}):`,
    ...lines.map((l) => `    ${l}`),
  ].join('\n');
}

/** The shapes and dtypes a traced call got, for a comment beside the forward it gave. */
export function traceNote(frame: Frame): string {
  const inputs = frame.args.filter((a): a is Tensor => a instanceof Tensor).map(shape);
  return `traced from ${frame.module.constructor.name}.forward on inputs ${inputs.join(', ') || '(none)'}`;
}
