// Command-line parsing for the nabla command: typed flags on node:util's parseArgs, usage text, exit code 2.
import { parseArgs } from 'node:util';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder shown in usage, e.g. '<n>'. */
  readonly value?: string;
  readonly help: string;
  readonly default?: string | boolean;
  /** The flag with a typical value, e.g. '--plots runs/plots', shown when the value is missing. */
  readonly example?: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** The arguments after the flags, as the usage names them ('<run dir>...'); none when absent. */
  readonly args?: string;
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

/**
 * Two columns: each left cell padded to the longest one plus `gap` spaces, so that even the
 * longest name stays apart from its description.
 */
export function columns(
  rows: readonly (readonly [string, string])[],
  indent = '',
  gap = 2,
): string[] {
  const width = Math.max(0, ...rows.map(([l]) => l.length)) + gap;
  return rows.map(([l, r]) => `${indent}${l.padEnd(width)}${r}`);
}

export function usageText(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const left = `  ${f.short ? `-${f.short}, ` : '    '}--${name}${f.value ? ` ${f.value}` : ''}`;
    const dflt =
      f.default !== undefined && f.default !== false ? ` (default: ${String(f.default)})` : '';
    return [left, `${f.help}${dflt}`] as const;
  });
  const lines = [`${spec.summary}`, '', `Usage: ${spec.usage}`, '', 'Options:', ...columns(rows)];
  for (const note of spec.notes ?? []) lines.push('', note);
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/** What a usage error prints after its message: the usage line and where the full help is. */
export function shortUsage(spec: CommandSpec): string {
  return `Usage: ${spec.usage}\nRun 'nabla ${spec.name} --help' for all options.`;
}

/**
 * A string flag given without its value (at the end, or followed by another flag): a UsageError
 * that says what is missing, with an example, instead of parseArgs' "argument is ambiguous".
 */
function checkValues(spec: CommandSpec, argv: readonly string[]): void {
  const byShort = new Map<string, string>();
  for (const [name, f] of Object.entries(spec.flags)) if (f.short) byShort.set(f.short, name);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return;
    let name: string | undefined;
    if (/^--[^=]+$/.test(arg)) name = arg.slice(2);
    else if (/^-[^-]$/.test(arg)) name = byShort.get(arg.slice(1));
    const f = name === undefined ? undefined : spec.flags[name];
    if (f?.type !== 'string') continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('-')) {
      const value = f.value ?? '<value>';
      const example = f.example ?? `--${name} ${value}`;
      throw new UsageError(
        `--${name} needs a value: ${value}${next === undefined ? '' : ` (got the flag '${next}' instead)`}; for example: nabla ${spec.name} ${example}`,
        spec,
      );
    }
    i++;
  }
}

/** Parses argv against a command's flags; unknown flags and missing values are UsageErrors. */
export function parseFlags(
  spec: CommandSpec,
  argv: readonly string[],
): Record<string, string | boolean | undefined> {
  return parseCommandLine(spec, argv).flags;
}

/** The flags and the other arguments (only for a command whose spec has `args`). */
export function parseCommandLine(
  spec: CommandSpec,
  argv: readonly string[],
): { flags: Record<string, string | boolean | undefined>; args: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, f] of Object.entries(spec.flags)) {
    options[name] = f.short ? { type: f.type, short: f.short } : { type: f.type };
  }
  checkValues(spec, argv);
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0 && spec.args === undefined)
      throw new UsageError(`unexpected argument '${positionals[0]}'`, spec);
    const out: Record<string, string | boolean | undefined> = {};
    for (const [name, f] of Object.entries(spec.flags))
      out[name] = (values as Record<string, string | boolean | undefined>)[name] ?? f.default;
    return { flags: out, args: positionals };
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
