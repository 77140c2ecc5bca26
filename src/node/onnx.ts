// ONNX export to a file (Node only): exportOnnx's bytes written atomically (a temporary file, then a rename).
import { defineOptions } from '../options.js';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { exportOnnx, ONNX_EXPORT_SPEC, type OnnxExportOptions } from '../io/onnx.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';

const SAVE_ONNX = defineOptions<OnnxExportOptions>('saveOnnx', ONNX_EXPORT_SPEC);

/** Writes bytes to `path` through a temporary file in the same folder, so readers never see half a file. */
export function writeOnnxFile(path: string, bytes: Uint8Array): void {
  const target = resolve(path);
  const tmp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const fd = openSync(tmp, 'wx');
  try {
    for (let done = 0; done < bytes.length;)
      done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, target);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
}

/**
 * Exports `model`, traced on `exampleInput`, to an .onnx file (see exportOnnx). Returns the
 * bytes written.
 */
export function saveOnnx(
  model: Module,
  exampleInput: Tensor | readonly Tensor[],
  path: string,
  opts?: OnnxExportOptions,
): Uint8Array {
  SAVE_ONNX.check(opts);
  const bytes = exportOnnx(model, exampleInput, opts);
  writeOnnxFile(path, bytes);
  return bytes;
}
