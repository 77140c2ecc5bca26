// safetensors on disk: atomic saves (over an open reader, through a crash), load, lazy per-tensor reads and state dicts.
import { spawnSync } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  chmodSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { deserialize, serialize } from '../../src/io/safetensors.js';
import { manualSeed, nn, tensor, zeros, type Tensor } from '../../src/index.js';
import { load, loadStateDict, safeOpen, save, saveStateDict } from '../../src/node/io.js';
import { codeOf } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nabla-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const fresh = (name = 'f') => join(dir, `${name}-${counter++}.safetensors`);

const tempFiles = () => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('save and load', () => {
  it('round-trips tensors and metadata through a file', () => {
    const p = fresh();
    save(
      {
        w: tensor([
          [1, 2],
          [3, 4],
        ]),
        n: tensor(5, { dtype: 'int32' }),
      },
      p,
      {
        metadata: { note: 'hi' },
      },
    );
    const { tensors, metadata } = load(p);
    expect(tensors.w!.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(tensors.n!.item()).toBe(5);
    expect({ ...metadata }).toEqual({ note: 'hi' });
    expect(
      readFileSync(p).equals(
        Buffer.from(serialize({ w: tensors.w!, n: tensors.n! }, { metadata: { note: 'hi' } })),
      ),
    ).toBe(true);
    expect(tempFiles()).toEqual([]);
  });

  it('gives the same typed errors as the in-memory reader', () => {
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(5), 'too_short'],
      [serialize({ a: tensor([1, 2]) }).slice(0, -2), 'offsets_out_of_bounds'],
      [Uint8Array.from([...serialize({ a: tensor([1]) }), 0]), 'trailing_bytes'],
    ];
    for (const [bytes, code] of cases) {
      const p = fresh();
      writeFileSync(p, bytes);
      expect(codeOf(() => deserialize(bytes))).toBe(code);
      expect(codeOf(() => load(p))).toBe(code);
      expect(codeOf(() => safeOpen(p))).toBe(code);
    }
    const big = fresh();
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 62n, true);
    writeFileSync(big, huge);
    expect(codeOf(() => load(big))).toBe('header_too_large');
  });

  it('reads tensors lazily, one positional read each', () => {
    const p = fresh();
    const big = zeros([1000, 100]).add(1);
    save({ big, small: tensor([7]) }, p);
    const f = safeOpen(p);
    try {
      expect(f.keys()).toEqual(['big', 'small']);
      expect(f.info('big')).toEqual({ dtype: 'F32', shape: [1000, 100], dataOffsets: [0, 400000] });
      expect(f.getTensor('small').tolist()).toEqual([7]);
      expect(f.getTensor('big').sum().item()).toBe(100000);
      expect(codeOf(() => f.getTensor('missing'))).toBe('tensor_not_found');
    } finally {
      f.close();
    }
    expect(f.closed).toBe(true);
    expect(codeOf(() => f.getTensor('small'))).toBe('invalid_argument');
  });

  it('reports a file truncated under an open reader', () => {
    const p = fresh();
    save({ a: tensor([1, 2, 3]), b: zeros([100]) }, p);
    const f = safeOpen(p);
    try {
      truncateSync(p, 60);
      expect(codeOf(() => f.getTensor('b'))).toBe('truncated');
    } finally {
      f.close();
    }
  });
});

describe('atomic save', () => {
  it('saving over a file that a lazy reader has open leaves the reader on the old contents', () => {
    const p = fresh();
    save({ a: tensor([1, 2, 3]), b: tensor([4]) }, p);
    const f = safeOpen(p);
    try {
      // Read one tensor, replace the file (even from the reader's own tensors), read the other.
      const a = f.getTensor('a');
      save({ a: a.mul(10), c: tensor([9, 9]) }, p);
      expect(f.getTensor('b').tolist()).toEqual([4]);
      expect(f.getTensor('a').tolist()).toEqual([1, 2, 3]);
      const now = load(p).tensors;
      expect(Object.keys(now).sort()).toEqual(['a', 'c']);
      expect(now.a!.tolist()).toEqual([10, 20, 30]);
    } finally {
      f.close();
    }
    // load → save back to the same path.
    save(load(p).tensors, p);
    expect(load(p).tensors.c!.tolist()).toEqual([9, 9]);
    expect(tempFiles()).toEqual([]);
  });

  it('a failure in the middle of writing leaves the old file intact and no temporary file', () => {
    const p = fresh();
    save({ a: tensor([1, 2, 3]) }, p);
    const before = readFileSync(p);
    const bad = tensor([5, 6]);
    Object.defineProperty(bad, 'dataSync', {
      value: () => {
        throw new Error('disk on fire');
      },
    });
    // 'a' (F64) is written before 'z' fails.
    expect(() => save({ a: tensor([1], { dtype: 'float64' }), z: bad }, p)).toThrow('disk on fire');
    expect(readFileSync(p).equals(before)).toBe(true);
    expect(tempFiles()).toEqual([]);
  });

  it('a process killed in the middle of writing leaves the old file intact', () => {
    const p = fresh();
    save({ a: tensor([1, 2, 3]) }, p);
    const before = readFileSync(p);
    const io = fileURLToPath(new URL('../../src/node/io.ts', import.meta.url));
    const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
    const script = join(dir, 'crash.ts');
    writeFileSync(
      script,
      `import { save } from ${JSON.stringify(io)};
import { zeros } from ${JSON.stringify(index)};
const big = zeros([1 << 20]);
const dying = zeros([4]);
Object.defineProperty(dying, 'dataSync', { value: () => process.kill(process.pid, 'SIGKILL') });
save({ big, zz: dying }, ${JSON.stringify(p)});
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect(readFileSync(p).equals(before)).toBe(true);
    expect(load(p).tensors.a!.tolist()).toEqual([1, 2, 3]);
    // The orphaned temporary file holds the partial write; the target never saw it.
    const orphans = tempFiles();
    expect(orphans.length).toBe(1);
    expect(statSync(join(dir, orphans[0]!)).size).toBeGreaterThan(4 << 20);
    rmSync(join(dir, orphans[0]!));
  });

  it('keeps the permissions of the file it replaces', () => {
    if (process.platform === 'win32') return;
    const p = fresh();
    save({ a: tensor([1]) }, p);
    chmodSync(p, 0o600);
    save({ a: tensor([2]) }, p);
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });
});

class Net extends nn.Module {
  fc = new nn.Linear(3, 4);
  bn = new nn.BatchNorm1d(4);
  head = new nn.Linear(4, 2);
  forward(x: Tensor): Tensor {
    return this.head.forward(this.bn.forward(this.fc.forward(x)).relu());
  }
}

describe('state dicts', () => {
  it('saves a module under PyTorch names and loads it back into another', () => {
    manualSeed(0);
    const a = new Net();
    a.forward(
      tensor([
        [1, 2, 3],
        [0, -1, 2],
        [4, 4, 4],
      ]),
    );
    const p = fresh('net');
    saveStateDict(a, p);
    const f = safeOpen(p);
    expect(f.metadata()).toEqual(expect.objectContaining({ format: 'pt' }));
    expect(f.info('bn.num_batches_tracked')).toEqual({
      dtype: 'I64',
      shape: [],
      dataOffsets: [0, 8],
    });
    expect(f.info('fc.weight').shape).toEqual([4, 3]);
    f.close();
    manualSeed(1);
    const b = new Net();
    expect(loadStateDict(b, p)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const sa = a.stateDict();
    for (const [k, v] of Object.entries(b.stateDict())) {
      expect(v.dtype, k).toBe(sa[k]!.dtype);
      expect(v.tolist(), k).toEqual(sa[k]!.tolist());
    }
    expect(b.bn.num_batches_tracked!.item()).toBe(1);
    // A module passed to save writes its state dict.
    const q = fresh('net');
    save(a, q);
    expect(Object.keys(load(q).tensors).sort()).toEqual(Object.keys(sa).sort());
  });

  it('gives PyTorch messages and leaves the module untouched on a mismatch', () => {
    manualSeed(0);
    const net = new Net();
    const p = fresh('partial');
    save({ 'fc.weight': zeros([4, 3]), extra: zeros([1]) }, p);
    const before = net.fc.weight.tolist();
    expect(() => loadStateDict(net, p)).toThrow(
      /Error\(s\) in loading state_dict for Net:\n\tMissing key\(s\) in state_dict: "fc.bias", .*\n\tUnexpected key\(s\) in state_dict: "extra"/,
    );
    expect(net.fc.weight.tolist()).toEqual(before);
    const r = loadStateDict(net, p, { strict: false });
    expect(r.unexpectedKeys).toEqual(['extra']);
    expect(r.missingKeys).toContain('bn.running_var');
    expect(net.fc.weight.tolist()).toEqual(zeros([4, 3]).tolist());
    const wrong = fresh('wrong');
    save({ ...net.stateDict(), 'fc.weight': zeros([3, 3]) }, wrong);
    expect(() => loadStateDict(net, wrong)).toThrow(
      'size mismatch for fc.weight: copying a param with shape torch.Size([3, 3]) from checkpoint, the shape in current model is torch.Size([4, 3]).',
    );
  });
});

describe('checkpoints', () => {
  it('a checkpoint whose manifest is corrupt is a DataError naming the file, not a SyntaxError', async () => {
    // issue 13, defect 13
    const { loadCheckpoint } = await import('../../src/node/checkpoint.js');
    const { DataError } = await import('../../src/errors.js');
    const cases = [
      '{"format": 1, "modelKeys": [',
      'null',
      '[1]',
      '{"format": 1}',
      '{"modelKeys": []}',
    ];
    for (const manifest of cases) {
      const path = fresh('ckpt');
      save({ 'model.w': zeros(2) }, path, { metadata: { 'nabla.checkpoint': manifest } });
      expect(() => loadCheckpoint(path)).toThrow(DataError);
      expect(() => loadCheckpoint(path)).toThrow(path);
    }
    const path = fresh('ckpt');
    save({ 'model.w': zeros(2) }, path, {
      metadata: { 'nabla.checkpoint': '{"format": 1, "modelKeys": [' },
    });
    expect(() => loadCheckpoint(path)).toThrow("the checkpoint's manifest is not valid JSON");
  });
});
