// Command-line parsing for the nabla command: typed flags on node:util's parseArgs, usage text, exit code 2.
import { parseArgs } from 'node:util';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder shown in usage, e.g. '<n>'. */
  readonly value?: string;
  readonly help: string;
  readonly default?: string | boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly examples?: readonly string[];
  /** More sections after the options, e.g. the model presets. */
  readonly notes?: readonly string[];
}

/** A usage problem: the command prints it with the usage text and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command: CommandSpec | undefined,
  ) {
    super(message);
  }
}

export function usageText(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const left = `  ${f.short ? `-${f.short}, ` : '    '}--${name}${f.value ? ` ${f.value}` : ''}`;
    const dflt =
      f.default !== undefined && f.default !== false ? ` (default: ${String(f.default)})` : '';
    return [left, `${f.help}${dflt}`] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const lines = [
    `${spec.summary}`,
    '',
    `Usage: ${spec.usage}`,
    '',
    'Options:',
    ...rows.map(([l, r]) => `${l.padEnd(width)}${r}`),
  ];
  for (const note of spec.notes ?? []) lines.push('', note);
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/** Parses argv against a command's flags; unknown flags and missing values are UsageErrors. */
export function parseFlags(
  spec: CommandSpec,
  argv: readonly string[],
): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, f] of Object.entries(spec.flags)) {
    options[name] = f.short ? { type: f.type, short: f.short } : { type: f.type };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument '${positionals[0]}'`, spec);
    const out: Record<string, string | boolean | undefined> = {};
    for (const [name, f] of Object.entries(spec.flags))
      out[name] = (values as Record<string, string | boolean | undefined>)[name] ?? f.default;
    return out;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // parseArgs' messages go on to explain positionals; the first sentence is the point.
    const first = (e as Error).message.split(/(?<=\.) /)[0] ?? (e as Error).message;
    throw new UsageError(first, spec);
  }
}

/** A positive integer flag, or a UsageError naming the flag. */
export function intFlag(
  spec: CommandSpec,
  name: string,
  v: string | boolean | undefined,
  min = 1,
): number {
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} expects an integer >= ${min}, got '${String(v)}'`, spec);
  }
  return n;
}

/** A positive number flag, or a UsageError naming the flag. */
export function numberFlag(
  spec: CommandSpec,
  name: string,
  v: string | boolean | undefined,
): number {
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${name} expects a positive number, got '${String(v)}'`, spec);
  }
  return n;
}

/** One of a fixed set of choices, or a UsageError listing them. */
export function choiceFlag<T extends string>(
  spec: CommandSpec,
  name: string,
  v: string | boolean | undefined,
  choices: readonly T[],
): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new UsageError(
      `--${name} must be one of ${choices.join(', ')}; got '${String(v)}'`,
      spec,
    );
  }
  return v as T;
}
