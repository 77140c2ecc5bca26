// MNIST / FashionMNIST: Debian's Fashion-MNIST on disk, and downloads from a local HTTP server (mirrors, MD5 checks, failures).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import type { Tensor } from '../../src/index.js';
import { DataLoader, encodeIdx, transforms } from '../../src/data/index.js';
import { FashionMNIST, MNIST, md5Hex } from '../../src/data/node/index.js';

const DEBIAN = '/usr/share/datasets/fashion-mnist';
const haveDebian = existsSync(join(DEBIAN, 't10k-images-idx3-ubyte.gz'));
if (!haveDebian) {
  console.warn(
    `SKIPPED: Fashion-MNIST tests need Debian's dataset-fashion-mnist package (${DEBIAN}); install it with apt-get install dataset-fashion-mnist`,
  );
}

describe.skipIf(!haveDebian)("FashionMNIST from Debian's dataset-fashion-mnist", () => {
  it('reads the test split without a root (values checked with Python)', () => {
    const test = new FashionMNIST({ train: false });
    expect(test.dir).toBe(DEBIAN);
    expect(test.length).toBe(10000);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    const [img, label] = test.get(0);
    expect(label).toBe(9);
    expect(img.shape).toEqual([1, 28, 28]);
    expect(img.dtype).toBe('float32');
    expect((img.tolist() as number[][][])[0]![14]![14]).toBe(Math.fround(110 / 255));
    expect((test.get(1)[0].tolist() as number[][][])[0]![20]![7]).toBe(Math.fround(114 / 255));
    expect(test.images.subarray(784, 1568).reduce((a, b) => a + b, 0)).toBe(100994);
    expect(test.get(-1)[1]).toBe(5);
    expect(test.classes[9]).toBe('Ankle boot');
  });

  it('reads the training split, also when the root given has no files', () => {
    const empty = mkdtempSync(join(tmpdir(), 'nabla-fmnist-'));
    try {
      const train = new FashionMNIST({ root: empty });
      expect(train.length).toBe(60000);
      expect(train.get(0)[1]).toBe(9);
      expect(train.images[14 * 28 + 14]).toBe(217);
      expect(train.images.subarray(0, 784).reduce((a, b) => a + b, 0)).toBe(76247);
      const counts = new Array<number>(10).fill(0);
      for (const l of train.labels) counts[l]!++;
      expect(counts).toEqual(new Array(10).fill(6000));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('batches through a DataLoader, with and without transforms', () => {
    const test = new FashionMNIST({ train: false });
    const [x, y] = [...new DataLoader(test, { batchSize: 4, sampler: [0, 1, 2, 3] })][0]!;
    expect(x.shape).toEqual([4, 1, 28, 28]);
    expect(y.dtype).toBe('int32');
    expect(y.tolist()).toEqual([9, 2, 1, 1]);
    const norm = new FashionMNIST({ train: false, transform: transforms.normalize([0.5], [0.5]) });
    const [nx] = [...new DataLoader(norm, { batchSize: 4, sampler: [0, 1, 2, 3] })][0]!;
    expect((nx as Tensor).shape).toEqual([4, 1, 28, 28]);
    expect(nx.sub(x.mul(2).sub(1)).abs().amax().item()).toBeLessThan(1e-6);
  });
});

// ---- downloads from a local server ----

const N = 5;
function fakeSet(seed: number) {
  const images = encodeIdx({
    type: 'uint8',
    shape: [N, 28, 28],
    data: Uint8Array.from({ length: N * 784 }, (_, i) => (i * 7 + seed) % 256),
  });
  const labels = encodeIdx({ type: 'uint8', shape: [N], data: Uint8Array.from([3, 1, 4, 1, 5]) });
  return { images: gzipSync(images), labels: gzipSync(labels) };
}
const train = fakeSet(1);
const test = fakeSet(2);
const files: Record<string, Uint8Array> = {
  'train-images-idx3-ubyte.gz': train.images,
  'train-labels-idx1-ubyte.gz': train.labels,
  't10k-images-idx3-ubyte.gz': test.images,
  't10k-labels-idx1-ubyte.gz': test.labels,
};
const md5 = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, md5Hex(v)]));

let server: Server;
let base = '';
const requests: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const [, mirror, name] = (req.url ?? '').split('/');
    const body = files[name ?? ''];
    if (mirror === 'error' || body === undefined) {
      res.writeHead(mirror === 'error' ? 500 : 404).end('no');
    } else if (mirror === 'corrupt') {
      res.writeHead(200).end(Buffer.concat([body, Buffer.from([0])]));
    } else {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'nabla-mnist-'));
}

describe('download: true', () => {
  it('downloads the four files from the first working mirror, verified, into <root>/<Name>/raw', async () => {
    const root = tempRoot();
    try {
      requests.length = 0;
      const ds = await MNIST.load({
        root,
        download: true,
        mirrors: [`${base}/error/`, `${base}/good/`],
        md5,
      });
      expect(ds.length).toBe(N);
      expect(ds.dir).toBe(join(root, 'MNIST', 'raw'));
      expect(readdirSync(ds.dir).sort()).toEqual(Object.keys(files).sort()); // no temp files left
      expect(ds.get(2)[1]).toBe(4);
      expect(ds.images[0]).toBe(1);
      expect(requests).toContain('/error/train-images-idx3-ubyte.gz');
      expect(requests.filter((r) => r.startsWith('/good/')).length).toBe(4);
      // Already there: no second download; the test split needs none either.
      requests.length = 0;
      const t = await MNIST.load({
        root,
        train: false,
        download: true,
        mirrors: [`${base}/good/`],
        md5,
      });
      expect(t.images[0]).toBe(2);
      expect(requests).toEqual([]);
      // FashionMNIST keeps its own folder.
      const f = await FashionMNIST.load({ root, download: true, mirrors: [`${base}/good`], md5 });
      expect(f.dir).toBe(join(root, 'FashionMNIST', 'raw'));
      expect(f).toBeInstanceOf(FashionMNIST);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a file whose MD5 does not match, leaving nothing behind', async () => {
    const root = tempRoot();
    try {
      const err = await MNIST.load({
        root,
        download: true,
        mirrors: [`${base}/corrupt/`],
        md5,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(/could not download train-images-idx3-ubyte\.gz/);
      expect((err as Error).message).toMatch(
        /MD5 checksum mismatch \(expected [0-9a-f]{32}, got [0-9a-f]{32}\)/,
      );
      const raw = join(root, 'MNIST', 'raw');
      expect(existsSync(raw) ? readdirSync(raw) : []).toEqual([]);
      // The default checksums (torchvision's) reject the fake files too.
      await expect(
        MNIST.load({ root, download: true, mirrors: [`${base}/good/`] }),
      ).rejects.toThrow(/MD5 checksum mismatch/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reports server errors and network failures per mirror', async () => {
    const root = tempRoot();
    try {
      await expect(
        MNIST.load({ root, download: true, mirrors: [`${base}/error/`], md5 }),
      ).rejects.toThrow(/error\/train-images-idx3-ubyte\.gz: HTTP 500/);
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      await expect(
        MNIST.load({
          root,
          download: true,
          mirrors: [`http://127.0.0.1:${port}/`],
          md5,
          timeoutMs: 5000,
        }),
      ).rejects.toThrow(/network error/);
      await expect(MNIST.load({ download: true })).rejects.toThrow(/needs a root/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('files on disk', () => {
  it('finds plain or gzipped files directly in root, and explains a missing dataset', () => {
    const root = tempRoot();
    try {
      expect(() => new MNIST({ root })).toThrow(DataError);
      expect(() => new MNIST({ root })).toThrow(/download: true/);
      writeFileSync(join(root, 't10k-images-idx3-ubyte'), gunzipSync(test.images));
      writeFileSync(join(root, 't10k-labels-idx1-ubyte.gz'), test.labels);
      const ds = new MNIST({ root, train: false, targetTransform: (y) => `class ${y}` });
      expect(ds.get(0)[1]).toBe('class 3');
      expect(() => new MNIST({ root, train: true })).toThrow(/not found/);
      // Counts that disagree are refused.
      mkdirSync(join(root, 'bad'));
      writeFileSync(join(root, 'bad', 't10k-images-idx3-ubyte.gz'), test.images);
      writeFileSync(
        join(root, 'bad', 't10k-labels-idx1-ubyte.gz'),
        gzipSync(encodeIdx({ type: 'uint8', shape: [2], data: new Uint8Array(2) })),
      );
      expect(() => new MNIST({ root: join(root, 'bad'), train: false })).toThrow(
        /5 images but .* 2 labels/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
