// CSV: parsing (quotes, CRLF, blank lines), the dataset built from it, and its errors (ragged rows, non-numeric cells).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { ArgumentError } from '../../src/index.js';
import { csvDataset, DataLoader, parseCsv } from '../../src/data/index.js';
import { loadCsv } from '../../src/data/node/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nabla-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, delimiters and newlines in quotes, CRLF and blank lines', () => {
    const text = '\ufeffa,"b, c",d\r\n1,"say ""hi""","two\nlines"\r\n\r\n,,\n"",x,\n';
    const recs = parseCsv(text);
    expect(recs.map((r) => r.fields)).toEqual([
      ['a', 'b, c', 'd'],
      ['1', 'say "hi"', 'two\nlines'],
      ['', '', ''],
      ['', 'x', ''],
    ]);
    expect(recs.map((r) => r.line)).toEqual([1, 2, 5, 6]);
    expect(parseCsv('1;2\n3;4', { delimiter: ';' }).map((r) => r.fields)).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(parseCsv('x')).toEqual([{ fields: ['x'], line: 1 }]);
  });

  it('rejects bad quoting', () => {
    expect(() => parseCsv('a,"b\n1,2')).toThrow(/unterminated quoted field starting on line 1/);
    expect(() => parseCsv('a,"b"c')).toThrow(/unexpected "c" after a closing quote on line 1/);
    expect(() => parseCsv('a,b"c"')).toThrow(/unexpected quote inside an unquoted field/);
    expect(() => parseCsv('a', { delimiter: '"' })).toThrow(ArgumentError);
  });
});

describe('csvDataset', () => {
  const text = 'x1,x2,label,x3\n1,2.5,0,-1e3\n3,4,1," 5 "\n6,nan,2,inf\n';

  it('makes features [N, F] and a target, by name or index', () => {
    const ds = csvDataset(text, { target: 'label' });
    expect(ds.length).toBe(3);
    expect(ds.featureNames).toEqual(['x1', 'x2', 'x3']);
    expect(ds.targetName).toBe('label');
    expect(ds.features.shape).toEqual([3, 3]);
    expect(ds.features.dtype).toBe('float32');
    expect(ds.targets!.dtype).toBe('int32');
    expect(ds.targets!.tolist()).toEqual([0, 1, 2]);
    const [x, y] = ds.get(2);
    expect(x!.tolist()).toEqual([6, NaN, Infinity]);
    expect(y!.item()).toBe(2);
    expect(csvDataset(text, { target: -1 }).targetName).toBe('x3');
    expect(csvDataset(text, { target: -1 }).targets!.dtype).toBe('float32');
    expect(csvDataset(text, { target: 2, features: ['x1'] }).features.shape).toEqual([3, 1]);
    expect(csvDataset('1,2\n3,4', { header: false, target: 0 }).featureNames).toEqual(['1']);
    expect(csvDataset(text, { target: 'label', targetDType: 'float32' }).targets!.dtype).toBe(
      'float32',
    );
    expect(csvDataset('a,b\n', { target: 'b' }).length).toBe(0);
    const batches = [...new DataLoader(ds, { batchSize: 2 })];
    expect(batches[0]![0]!.shape).toEqual([2, 3]);
  });

  it('encodes a text target as class indices when asked', () => {
    const ds = csvDataset('w,species\n1,setosa\n2,virginica\n3,setosa\n', {
      target: 'species',
      encodeTarget: true,
    });
    expect(ds.classes).toEqual(['setosa', 'virginica']);
    expect(ds.targets!.tolist()).toEqual([0, 1, 0]);
  });

  it('names the line and column of ragged rows and non-numeric cells', () => {
    expect(() => csvDataset('a,b\n1,2\n3\n', { target: 'b' })).toThrow(
      /ragged row on line 3: 1 fields, but the header has 2/,
    );
    expect(() => csvDataset('a,b\n1,2\n3,abc\n', { target: 'b' })).toThrow(DataError);
    expect(() => csvDataset('a,b\n1,2\n3,abc\n', { target: 'b' })).toThrow(
      /non-numeric cell "abc" on line 3, column "b" \(2\)/,
    );
    expect(() => csvDataset('a,b\n1,\n', { target: 'b' })).toThrow(/non-numeric cell ""/);
    expect(() => csvDataset('a,b\n1,2\n', { target: 'c' })).toThrow(/no column named "c"/);
    expect(() => csvDataset('a,b\n1,2.5\n', { target: 'b', targetDType: 'int32' })).toThrow(
      /not integral/,
    );
    expect(() => csvDataset('')).toThrow(/no data/);
  });
});

describe('loadCsv', () => {
  it('reads plain and gzipped files, and names the file in errors', () => {
    const body = 'f,t\n0.5,1\n1.5,0\n';
    const plain = join(dir, 'd.csv');
    const gz = join(dir, 'd.csv.gz');
    writeFileSync(plain, body);
    writeFileSync(gz, gzipSync(body));
    for (const p of [plain, gz]) {
      const ds = loadCsv(p, { target: 't' });
      expect(ds.features.tolist()).toEqual([[0.5], [1.5]]);
      expect(ds.targets!.tolist()).toEqual([1, 0]);
    }
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'f,t\n1,2,3\n');
    expect(() => loadCsv(bad, { target: 't' })).toThrow(
      new RegExp(`${bad.replace(/[/\\.]/g, '\\$&')}: ragged row on line 2`),
    );
    expect(() => loadCsv(join(dir, 'missing.csv'))).toThrow(/cannot read CSV file/);
  });
});
