// Tabular data from CSV text: an RFC 4180 parser and a TensorDataset of numeric features and a target column.
import { defineOptions, type Spec } from '../options.js';
import type { DType } from '../dtype.js';
import { ArgumentError, DataError } from '../errors.js';
import { tensor } from '../functions/creation.js';
import type { Tensor } from '../tensor.js';
import { TensorDataset } from './dataset.js';

export interface ParseCsvOptions {
  /** The field separator (default ','). */
  readonly delimiter?: string;
  /** A name for error messages (default 'CSV'). */
  readonly name?: string;
}

/** One parsed record and the line it starts on (1-based), for error messages. */
export interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

const PARSE_CSV_SPEC: Spec<ParseCsvOptions> = { delimiter: 'string', name: 'string' };
const PARSE_CSV = defineOptions<ParseCsvOptions>('data.parseCsv', PARSE_CSV_SPEC);
/** The keys of csvDataset's and loadCsv's options. */
export const CSV_DATASET_SPEC: Spec<CsvDatasetOptions> = {
  ...PARSE_CSV_SPEC,
  header: 'boolean',
  target: ['string', 'integer'],
  features: 'array',
  dtype: 'string',
  targetDType: 'string',
  encodeTarget: 'boolean',
};
const CSV_DATASET = defineOptions<CsvDatasetOptions>('data.csvDataset', CSV_DATASET_SPEC);

/**
 * Splits CSV text into records (RFC 4180): fields separated by the delimiter, records by LF or
 * CRLF, fields in double quotes may hold delimiters, newlines and doubled quotes (""). Blank lines
 * are skipped and a leading byte-order mark is dropped. An unterminated quote or text after a
 * closing quote is a DataError.
 */
export function parseCsv(text: string, opts: ParseCsvOptions = {}): CsvRecord[] {
  PARSE_CSV.checkGiven(opts);
  const delim = opts.delimiter ?? ',';
  const name = opts.name ?? 'CSV';
  if (delim.length !== 1 || delim === '"' || delim === '\n' || delim === '\r') {
    throw new ArgumentError(
      `parseCsv: the delimiter must be one character other than a quote or newline, got ${JSON.stringify(delim)}`,
    );
  }
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let content = false; // the record has something in it (a blank line is not a record)
  let inQuotes = false;
  let afterQuote = false; // just closed a quoted field: only a delimiter or a newline may follow
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (inQuotes) {
      if (c !== '"') {
        if (c === '\n') line++;
        field += c;
      } else if (src[i + 1] === '"') {
        field += '"';
        i++;
      } else {
        inQuotes = false;
        afterQuote = true;
      }
      continue;
    }
    if (afterQuote && c !== delim && c !== '\r' && c !== '\n') {
      throw new DataError(
        `${name}: unexpected ${JSON.stringify(c)} after a closing quote on line ${line}`,
      );
    }
    if (c === '"') {
      if (field !== '') {
        throw new DataError(`${name}: unexpected quote inside an unquoted field on line ${line}`);
      }
      inQuotes = true;
      content = true;
      quoteLine = line;
    } else if (c === delim) {
      fields.push(field);
      field = '';
      afterQuote = false;
      content = true;
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      if (content || field !== '') {
        fields.push(field);
        records.push({ fields, line: recordLine });
      }
      fields = [];
      field = '';
      content = false;
      afterQuote = false;
      line++;
      recordLine = line;
    } else {
      field += c;
      content = true;
    }
  }
  if (inQuotes)
    throw new DataError(`${name}: unterminated quoted field starting on line ${quoteLine}`);
  if (content || field !== '') {
    fields.push(field);
    records.push({ fields, line: recordLine });
  }
  return records;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL: Readonly<Record<string, number>> = {
  nan: Number.NaN,
  '+nan': Number.NaN,
  '-nan': Number.NaN,
  inf: Infinity,
  '+inf': Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-inf': -Infinity,
  '-infinity': -Infinity,
};

/** A decimal number (or nan / inf), or undefined when the cell is not one. */
function parseNumber(cell: string): number | undefined {
  const s = cell.trim();
  if (NUMBER.test(s)) return Number(s);
  return SPECIAL[s.toLowerCase()];
}

export type TargetDType = 'auto' | 'float32' | 'float64' | 'int32';

export interface CsvDatasetOptions extends ParseCsvOptions {
  /** Whether the first record names the columns (default true); without, columns are named '0', '1', ... */
  readonly header?: boolean;
  /** The target column, by name or index (negative counts from the end); omitted: features only. */
  readonly target?: string | number;
  /** The feature columns, by name or index (default: every column but the target). */
  readonly features?: readonly (string | number)[];
  /** The features' dtype (default float32). */
  readonly dtype?: 'float32' | 'float64';
  /**
   * The target's dtype: 'auto' (default) gives int32 when every target is an integer (class labels,
   * as PyTorch makes int64 from integer columns) and float32 otherwise.
   */
  readonly targetDType?: TargetDType;
  /** Map a non-numeric target column to class indices 0..K-1 in sorted order of the labels. */
  readonly encodeTarget?: boolean;
}

/** A TensorDataset of CSV rows: item i is [features[i]] or [features[i], target[i]]. */
export class CsvDataset extends TensorDataset {
  readonly featureNames: readonly string[];
  readonly targetName: string | undefined;
  /** The labels behind the class indices, when encodeTarget mapped them. */
  readonly classes: readonly string[] | undefined;

  /** @internal Use csvDataset() or loadCsv(). */
  constructor(
    tensors: readonly Tensor[],
    featureNames: readonly string[],
    targetName: string | undefined,
    classes: readonly string[] | undefined,
  ) {
    super(...tensors);
    this.featureNames = featureNames;
    this.targetName = targetName;
    this.classes = classes;
  }

  /** The feature matrix [N, F]. */
  get features(): Tensor {
    return this.tensors[0]!;
  }

  /** The target vector [N], when there is one. */
  get targets(): Tensor | undefined {
    return this.tensors[1];
  }
}

function resolveColumn(spec: string | number, names: readonly string[], name: string): number {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < -names.length || spec >= names.length) {
      throw new ArgumentError(
        `${name}: column index ${spec} is out of range for ${names.length} columns`,
      );
    }
    return spec < 0 ? spec + names.length : spec;
  }
  const k = names.indexOf(spec);
  if (k < 0) {
    throw new ArgumentError(
      `${name}: no column named ${JSON.stringify(spec)} (columns: ${names.map((n) => JSON.stringify(n)).join(', ')})`,
    );
  }
  return k;
}

/**
 * A dataset from CSV text: numeric feature columns become a float tensor [N, F] and the target
 * column (if any) a vector [N]. A record with the wrong number of fields or a cell that is not a
 * number is a DataError naming its line and column.
 */
export function csvDataset(text: string, opts: CsvDatasetOptions = {}): CsvDataset {
  CSV_DATASET.checkGiven(opts);
  const name = opts.name ?? 'CSV';
  const records = parseCsv(text, {
    ...(opts.delimiter === undefined ? {} : { delimiter: opts.delimiter }),
    ...(opts.name === undefined ? {} : { name: opts.name }),
  });
  const hasHeader = opts.header ?? true;
  if (records.length === 0) {
    throw new DataError(`${name}: no data`);
  }
  const width = records[0]!.fields.length;
  const names = hasHeader
    ? records[0]!.fields.map((f) => f.trim())
    : Array.from({ length: width }, (_, k) => String(k));
  const rows = hasHeader ? records.slice(1) : records;
  for (const r of rows) {
    if (r.fields.length !== width) {
      throw new DataError(
        `${name}: ragged row on line ${r.line}: ${r.fields.length} fields, but the ${hasHeader ? 'header has' : 'first row has'} ${width}`,
      );
    }
  }
  const targetCol = opts.target === undefined ? undefined : resolveColumn(opts.target, names, name);
  const featureCols =
    opts.features !== undefined
      ? opts.features.map((f) => resolveColumn(f, names, name))
      : names.map((_, k) => k).filter((k) => k !== targetCol);
  const n = rows.length;
  const f = featureCols.length;
  const feats = opts.dtype === 'float64' ? new Float64Array(n * f) : new Float32Array(n * f);
  const cellError = (r: CsvRecord, col: number) =>
    new DataError(
      `${name}: non-numeric cell ${JSON.stringify(r.fields[col])} on line ${r.line}, column ${JSON.stringify(names[col])} (${col + 1})`,
    );
  rows.forEach((r, i) => {
    featureCols.forEach((col, j) => {
      const v = parseNumber(r.fields[col]!);
      if (v === undefined) throw cellError(r, col);
      feats[i * f + j] = v;
    });
  });
  const tensors: Tensor[] = [tensor(feats).reshape([n, f])];
  let classes: string[] | undefined;
  if (targetCol !== undefined) {
    let values: number[];
    if (opts.encodeTarget) {
      const labels = rows.map((r) => r.fields[targetCol]!.trim());
      classes = [...new Set(labels)].sort();
      const index = new Map(classes.map((c, k) => [c, k]));
      values = labels.map((l) => index.get(l)!);
    } else {
      values = rows.map((r) => {
        const v = parseNumber(r.fields[targetCol]!);
        if (v === undefined) throw cellError(r, targetCol);
        return v;
      });
    }
    const want = opts.targetDType ?? 'auto';
    const integral = values.every((v) => Number.isInteger(v) && Math.abs(v) <= 2147483647);
    let dtype: DType;
    if (want === 'auto') dtype = integral || opts.encodeTarget ? 'int32' : 'float32';
    else dtype = want;
    if (dtype === 'int32' && !integral) {
      throw new DataError(
        `${name}: target column ${JSON.stringify(names[targetCol])} is not integral, so it cannot be int32`,
      );
    }
    tensors.push(tensor(values, { dtype }));
  }
  return new CsvDataset(
    tensors,
    featureCols.map((k) => names[k]!),
    targetCol === undefined ? undefined : names[targetCol],
    classes,
  );
}
