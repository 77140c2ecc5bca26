// PyTorch export to files (Node only): <stem>.py defining the model as a torch.nn.Module, and <stem>.safetensors with its weights.
import { basename, resolve } from 'node:path';
import { pytorchSource, SAVE_PYTORCH, type SavePytorchOptions } from '../io/pytorch.js';
import type { Module } from '../nn/module.js';
import { saveStateDict } from './io.js';
import { writeOnnxFile } from './onnx.js';

export interface SavedPytorch {
  /** The Python file: `from <stem> import load; model = load()`. */
  readonly source: string;
  /** The weights (the model's state dict under PyTorch's names). */
  readonly weights: string;
}

/**
 * Writes `<stem>.py` (see pytorchSource) and `<stem>.safetensors` (the state dict, which the
 * file's load() reads by default). `stem` may end in '.py'. The source is built first, so a
 * model that cannot be exported leaves no file behind.
 */
export function savePytorch(model: Module, stem: string, opts?: SavePytorchOptions): SavedPytorch {
  SAVE_PYTORCH.check(opts);
  const base = resolve(stem.endsWith('.py') ? stem.slice(0, -3) : stem);
  const weights = `${base}.safetensors`;
  const source = `${base}.py`;
  const text = pytorchSource(model, { ...opts, weightsFile: basename(weights) });
  saveStateDict(model, weights);
  writeOnnxFile(source, new TextEncoder().encode(text));
  return { source, weights };
}
