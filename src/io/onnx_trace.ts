// ONNX export, step 1: run the model once in eval mode and record every primitive and every mappable module call.
import { enableGrad } from '../autograd/grad_mode.js';
import type { RemovableHandle } from '../autograd/node.js';
import { NablaError } from '../errors.js';
import type { Storage } from '../memory.js';
import type { Module } from '../nn/module.js';
import { withOpTracer } from '../ops/trace.js';
import type { Primitive } from '../primitives.js';
import { Tensor } from '../tensor.js';

/** What every recorded call keeps: its tensors with the storage versions they had. */
interface Recorded {
  readonly inputs: readonly Tensor[];
  readonly inVersions: readonly number[];
  readonly output: Tensor;
  readonly outVersion: number;
}

/** A primitive that ran: its inputs as apply saw them (after casts) with their storage versions. */
export interface OpCall extends Recorded {
  readonly kind: 'op';
  readonly op: Primitive;
  readonly params: object;
  /** The innermost module running (its dotted path; '' for the model itself). */
  readonly scope: string;
}

/** A module call that export turns into ONNX ops of its own, skipping the primitives inside. */
export interface ModuleCall<P> extends Recorded {
  readonly kind: 'module';
  readonly module: Module;
  readonly path: string;
  /** What the planner made of this call: a plan, or why the layer cannot be exported. */
  readonly plan: P;
}

export type Call<P> = OpCall | ModuleCall<P>;

export interface Trace<P> {
  /** What forward returned. */
  readonly result: unknown;
  /** The graph inputs as the model saw them. */
  readonly inputs: readonly Tensor[];
  /** The call that made each tensor (a module call wins over the op inside it that made the same tensor). */
  readonly producers: ReadonlyMap<Tensor, Call<P>>;
  /** Every tensor seen (inputs, outputs, parameters), by storage: finds what detach()/aliases view. */
  readonly byStorage: ReadonlyMap<Storage, readonly Tensor[]>;
  /** Storage versions of the inputs, parameters and buffers when the forward began. */
  readonly startVersions: ReadonlyMap<Tensor, number>;
}

/**
 * Decides, at call time, whether a module call becomes ONNX ops of its own: a plan, an
 * explanation of why it cannot be exported (a string), or null to trace through its primitives.
 */
export type ModulePlanner<P> = (
  module: Module,
  inputs: readonly Tensor[],
  output: Tensor,
) => P | string | null;

const versionOf = (t: Tensor) => t._storage.version;

/** Runs `model.forward(...inputs)` in eval mode (training flags restored after), recording the graph. */
export function traceModel<P>(
  model: Module,
  exampleInputs: readonly Tensor[],
  planner: ModulePlanner<P>,
): Trace<P | string> {
  const producers = new Map<Tensor, Call<P | string>>();
  const byStorage = new Map<Storage, Tensor[]>();
  const startVersions = new Map<Tensor, number>();
  const see = (t: Tensor) => {
    const list = byStorage.get(t._storage);
    if (list === undefined) byStorage.set(t._storage, [t]);
    else list.push(t);
  };
  // NOTE: floating inputs are traced as fresh aliases that require grad, so anything that leaves
  // nabla's primitives (a custom Function, a copy through plain arrays) still shows a gradFn and
  // is reported, instead of being frozen into the file as a constant.
  const inputs = exampleInputs.map((x) =>
    x.isFloatingPoint() ? x.detach().requiresGrad_() : x.detach(),
  );
  for (const t of [...inputs, ...model.parameters(), ...model.buffers()]) {
    startVersions.set(t, versionOf(t));
    see(t);
  }

  const scopes: { path: string; args: Tensor[]; versions: number[] }[] = [];
  const handles: RemovableHandle[] = [];
  for (const [path, m] of model.namedModules()) {
    handles.push(
      m.registerForwardPreHook((_m, args) => {
        const ts = args.filter((a): a is Tensor => a instanceof Tensor);
        scopes.push({ path, args: ts, versions: ts.map(versionOf) });
      }),
      m.registerForwardHook((_m, _args, out) => {
        const frame = scopes.pop()!;
        if (!(out instanceof Tensor)) return;
        const i = frame.args.indexOf(out);
        if (i >= 0) {
          // An identity in eval mode (Dropout, Identity): nothing to record, unless it wrote in place.
          if (versionOf(out) !== frame.versions[i]) {
            throw new NablaError(
              `ONNX export: module '${path}' (${m.constructor.name}) modified its input in place; export needs an out-of-place forward`,
            );
          }
          return;
        }
        const plan = planner(m, frame.args, out);
        if (plan === null) return;
        producers.set(out, {
          kind: 'module',
          module: m,
          path,
          inputs: frame.args,
          inVersions: frame.versions,
          output: out,
          outVersion: versionOf(out),
          plan,
        });
        see(out);
      }),
    );
  }

  const training = model.modules().map((m) => m.training);
  model.eval();
  try {
    const tracer = (op: Primitive, ins: readonly Tensor[], params: object, out: Tensor) => {
      producers.set(out, {
        kind: 'op',
        op,
        params,
        inputs: [...ins],
        inVersions: ins.map(versionOf),
        output: out,
        outVersion: versionOf(out),
        scope: scopes[scopes.length - 1]?.path ?? '',
      });
      see(out);
    };
    const result = withOpTracer(tracer, () =>
      enableGrad(() => (model.forward as (...a: Tensor[]) => unknown)(...inputs)),
    );
    return { result, inputs, producers, byStorage, startVersions };
  } finally {
    for (const h of handles) h.remove();
    model.modules().forEach((m, i) => (m.training = training[i]!));
  }
}
