// safetensors files on disk (Node only): atomic save, load, and a lazy per-tensor reader over a file descriptor.
import { defineOptions, type Spec } from '../options.js';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SafetensorsError } from '../errors.js';
import {
  encodeTensor,
  parseHeaderJson,
  planSerialize,
  readHeaderLength,
  SafetensorsSource,
  type NamedTensors,
  type Safetensors,
  type SafetensorsHeader,
  type SerializeOptions,
} from '../io/safetensors.js';
import { Module, type LoadResult } from '../nn/module.js';

const LOAD = defineOptions<{ device?: string }>('load', { device: 'string' });
const SERIALIZE_SPEC: Spec<SerializeOptions> = {
  metadata: 'object',
  dtypes: ['object', 'function'],
};
const SAVE = defineOptions<SerializeOptions>('save', SERIALIZE_SPEC);
const SAVE_STATE_DICT = defineOptions<SerializeOptions>('saveStateDict', SERIALIZE_SPEC);
const LOAD_STATE_DICT = defineOptions<{ strict?: boolean }>('loadStateDict', { strict: 'boolean' });

/** Reads exactly `length` bytes at `position`, or throws `truncated` (the file shrank under us). */
function readExactly(fd: number, length: number, position: number, what: string): Uint8Array {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0)
      throw new SafetensorsError(
        'truncated',
        `${what}: the file ended after ${done} of ${length} bytes (was it truncated while open?)`,
      );
    done += n;
  }
  return buf;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * An open safetensors file: the header is read and validated on open, each tensor is read with
 * positional reads when asked for. The descriptor keeps the file it opened even if the path is
 * replaced (save over it is safe); close() releases it.
 */
export class SafetensorsFile extends SafetensorsSource {
  readonly path: string;
  #fd: number | null;

  constructor(path: string) {
    const fd = openSync(path, 'r');
    let header: SafetensorsHeader;
    try {
      const size = fstatSync(fd).size;
      const prefix = size < 8 ? new Uint8Array(0) : readExactly(fd, 8, 0, path);
      const n = readHeaderLength(prefix, size);
      header = parseHeaderJson(readExactly(fd, n, 8, path), size - 8 - n);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    super(header, path);
    this.path = path;
    this.#fd = fd;
  }

  /** A tensor's bytes as stored, read from the file. */
  raw(name: string): Uint8Array {
    const [b, e] = this.info(name).dataOffsets;
    if (this.#fd === null) throw new SafetensorsError('invalid_argument', `${this.path} is closed`);
    return readExactly(this.#fd, e - b, this.header.dataStart + b, `tensor "${name}"`);
  }

  get closed(): boolean {
    return this.#fd === null;
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}

/** Opens a safetensors file for lazy, per-tensor reading (safetensors' `safe_open`). */
export function safeOpen(path: string): SafetensorsFile {
  return new SafetensorsFile(path);
}

/** Reads every tensor of a file and its metadata; a malformed file throws SafetensorsError. */
export function load(path: string, opts?: { device?: string }): Safetensors {
  LOAD.check(opts);
  const f = new SafetensorsFile(path);
  try {
    return f.readAll(opts);
  } finally {
    f.close();
  }
}

function toNamed(what: NamedTensors | Module): NamedTensors {
  return what instanceof Module ? what.stateDict() : what;
}

/**
 * Writes tensors (or a module's state dict) to `path` atomically: a temporary file in the same
 * directory is written, flushed to disk and renamed over `path`, so a crash leaves either the old
 * file or the new one, and readers holding the old file keep reading it.
 */
export function save(what: NamedTensors | Module, path: string, opts?: SerializeOptions): void {
  SAVE.check(opts);
  const plan = planSerialize(toNamed(what), opts);
  const target = resolve(path);
  const dir = dirname(target);
  const tmp = join(
    dir,
    `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  let mode: number | undefined;
  try {
    mode = statSync(target).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  const fd = openSync(tmp, 'wx');
  let closed = false;
  try {
    if (mode !== undefined) fchmodSync(fd, mode);
    writeAll(fd, plan.header);
    for (const p of plan.tensors) writeAll(fd, encodeTensor(p));
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, target);
  } catch (e) {
    if (!closed) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
  // Make the rename itself durable (not possible on every platform: best effort).
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // directories cannot be opened or synced here (Windows)
  }
}

/**
 * Saves a module's state dict under PyTorch's key names, with `format: "pt"` metadata (what
 * Hugging Face loaders expect of PyTorch weights); integer buffers are written as I64.
 */
export function saveStateDict(module: Module, path: string, opts?: SerializeOptions): void {
  SAVE_STATE_DICT.check(opts);
  save(module.stateDict(), path, { ...opts, metadata: { format: 'pt', ...opts?.metadata } });
}

/**
 * Loads a file into a module with Module.loadStateDict (PyTorch's messages for missing,
 * unexpected and mis-shaped keys). The module is untouched unless everything checks out.
 */
export function loadStateDict(
  module: Module,
  path: string,
  opts?: { strict?: boolean },
): LoadResult {
  LOAD_STATE_DICT.check(opts);
  const { tensors } = load(path);
  try {
    return module.loadStateDict(new Map(Object.entries(tensors)), opts);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
