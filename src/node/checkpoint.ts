// Training checkpoints: model, optimizer, scheduler and RNG state plus the loop's position, in one
// safetensors file (tensors) with a JSON manifest in its metadata (everything else).
import { DataError, NablaError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { StateDict } from '../nn/module.js';
import type { TrainingCheckpoint } from '../train/checkpoint.js';
import { load, save } from './io.js';

/** The checkpoint format this code writes; readers refuse newer ones. */
export const CHECKPOINT_FORMAT = 1;
const MANIFEST_KEY = 'nabla.checkpoint';

/** A training run's state (Trainer's stateDict()): model, optimizer, scheduler, generators, position. */
export type Checkpoint = TrainingCheckpoint;

/** Replaces every tensor in a JSON-able value by a reference to a named tensor in `out`. */
function extractTensors(value: unknown, prefix: string, out: Record<string, Tensor>): unknown {
  if (value instanceof Tensor) {
    out[prefix] = value;
    return { $tensor: prefix };
  }
  if (Array.isArray(value)) return value.map((v, i) => extractTensors(v, `${prefix}.${i}`, out));
  if (value !== null && typeof value === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) o[k] = extractTensors(v, `${prefix}.${k}`, out);
    return o;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  return value;
}

function restoreTensors(value: unknown, tensors: Record<string, Tensor>): unknown {
  if (Array.isArray(value)) return value.map((v) => restoreTensors(v, tensors));
  if (value !== null && typeof value === 'object') {
    const rec = value as Record<string, unknown>;
    if (typeof rec.$tensor === 'string') {
      const t = tensors[rec.$tensor];
      if (t === undefined) throw new NablaError(`checkpoint: missing tensor '${rec.$tensor}'`);
      return t;
    }
    if (typeof rec.$number === 'string') return Number(rec.$number);
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec)) o[k] = restoreTensors(v, tensors);
    return o;
  }
  return value;
}

/** Writes a checkpoint atomically (a crash leaves the previous file intact). */
export function saveCheckpoint(path: string, ckpt: Checkpoint): void {
  const tensors: Record<string, Tensor> = {};
  const { model, ...rest } = ckpt;
  for (const [k, t] of Object.entries(model)) tensors[`model.${k}`] = t;
  const manifest = {
    format: CHECKPOINT_FORMAT,
    modelKeys: Object.keys(model),
    ...(extractTensors(rest, 'state', tensors) as object),
  };
  save(tensors, path, { metadata: { [MANIFEST_KEY]: JSON.stringify(manifest) } });
}

/** The checkpoint's manifest, checked: a corrupt one is a DataError naming the file. */
function parseManifest(
  path: string,
  text: string,
): Record<string, unknown> & { format: number; modelKeys: string[] } {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (e) {
    throw new DataError(`${path}: the checkpoint's manifest is not valid JSON (${String(e)})`, {
      cause: e,
    });
  }
  const m = manifest as { format?: unknown; modelKeys?: unknown } | null;
  if (
    m === null ||
    typeof m !== 'object' ||
    Array.isArray(m) ||
    typeof m.format !== 'number' ||
    !Array.isArray(m.modelKeys) ||
    !m.modelKeys.every((k) => typeof k === 'string')
  ) {
    throw new DataError(
      `${path}: the checkpoint's manifest is malformed (expected an object with a numeric 'format' and a 'modelKeys' list of names)`,
    );
  }
  return m as Record<string, unknown> & { format: number; modelKeys: string[] };
}

/** Reads a checkpoint written by saveCheckpoint. */
export function loadCheckpoint(path: string): Checkpoint {
  const { tensors, metadata } = load(path);
  const text = metadata?.[MANIFEST_KEY];
  if (text === undefined)
    throw new NablaError(`${path} is not a nabla checkpoint (no '${MANIFEST_KEY}' metadata)`);
  const manifest = parseManifest(path, text);
  if (manifest.format > CHECKPOINT_FORMAT) {
    throw new NablaError(
      `${path} has checkpoint format ${manifest.format}; this nabla reads up to ${CHECKPOINT_FORMAT}`,
    );
  }
  const model: StateDict = {};
  for (const k of manifest.modelKeys) {
    const t = tensors[`model.${k}`];
    if (t === undefined) throw new NablaError(`checkpoint: missing model tensor '${k}'`);
    model[k] = t;
  }
  const { format: _f, modelKeys: _k, ...rest } = manifest;
  return { model, ...(restoreTensors(rest, tensors) as Omit<Checkpoint, 'model'>) };
}
