// `nabla train --resume`: the run's options come from the checkpoint's saved config; options given
// again must agree with it, except those that are safe to change (epochs, output, display...).
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ArgumentError, DataError } from '../errors.js';
import { safeOpen } from '../node/io.js';
import type { CommandSpec } from './args.js';

/** The flags that may differ from the checkpoint's run: they do not change what the state means. */
export const RESUME_SAFE_FLAGS: readonly string[] = [
  'epochs',
  'steps',
  'stop-after',
  'seed',
  'backend',
  'data-dir',
  'out',
  'quiet',
  'diagnose',
  'plots',
  'dashboard',
  'port',
  'keep-open',
];

/** Flags about this process only: never taken from the saved config. */
const NOT_INHERITED = new Set([
  'resume',
  'stop-after',
  'out',
  'quiet',
  'diagnose',
  'plots',
  'dashboard',
  'port',
  'keep-open',
  'help',
]);

/** The run's config as `nabla train` saved it in the checkpoint (a JSON object). */
export type SavedConfig = Readonly<Record<string, unknown>>;

/** The config key of a flag: 'batch-size' → 'batchSize'. */
export function configKey(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The names of the flags written on the command line (not filled in from defaults). */
export function givenFlags(spec: CommandSpec, argv: readonly string[]): Set<string> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, f] of Object.entries(spec.flags))
    options[name] = f.short ? { type: f.type, short: f.short } : { type: f.type };
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: true,
    allowPositionals: true,
    tokens: true,
  });
  return new Set(tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : [])));
}

/**
 * The config saved in a checkpoint by `nabla train` (undefined for a checkpoint without one). Reads
 * only the file's header.
 */
export function readSavedConfig(path: string): SavedConfig | undefined {
  if (!existsSync(path) || !statSync(path).isFile())
    throw new DataError(`--resume ${path}: no such checkpoint file`);
  const file = safeOpen(path);
  let text: string | undefined;
  try {
    text = file.metadata()?.['nabla.checkpoint'];
  } finally {
    file.close();
  }
  if (text === undefined)
    throw new DataError(
      `--resume ${path}: not a nabla checkpoint (no 'nabla.checkpoint' metadata)`,
    );
  let manifest: { extra?: { config?: unknown } };
  try {
    manifest = JSON.parse(text) as typeof manifest;
  } catch {
    throw new DataError(`--resume ${path}: the checkpoint's manifest is not valid JSON`);
  }
  const config = manifest.extra?.config;
  return config !== null && typeof config === 'object' ? (config as SavedConfig) : undefined;
}

/**
 * The flag values of a resumed run: each flag not written on the command line takes the
 * checkpoint's value (then the command's own defaults apply only where the checkpoint has none),
 * and --out defaults to the checkpoint's folder.
 */
export function inheritFlags(
  spec: CommandSpec,
  flags: Readonly<Record<string, string | boolean | undefined>>,
  given: ReadonlySet<string>,
  saved: SavedConfig,
  checkpoint: string,
): Record<string, string | boolean | undefined> {
  const out = { ...flags };
  for (const [name, f] of Object.entries(spec.flags)) {
    if (given.has(name) || NOT_INHERITED.has(name)) continue;
    const v = saved[configKey(name)];
    if (v === undefined || v === null) continue;
    out[name] = f.type === 'boolean' ? v === true : String(v);
  }
  if (!given.has('out')) out.out = dirname(checkpoint);
  return out;
}

const NAMED_DATA = new Set(['digits', 'mnist', 'fashion-mnist']);

function same(key: string, a: unknown, b: unknown): boolean {
  if (key === 'data' && typeof a === 'string' && typeof b === 'string')
    return NAMED_DATA.has(a) || NAMED_DATA.has(b) ? a === b : resolve(a) === resolve(b);
  return a === b || ((a === undefined || a === false) && (b === undefined || b === false));
}

/**
 * Refuses a resume whose given options differ from the checkpoint's run in ways the saved state
 * cannot follow (another batch size, optimizer, model, data, learning rate, schedule...), listing
 * every difference.
 */
export function checkResume(
  run: object,
  given: ReadonlySet<string>,
  saved: SavedConfig,
  checkpoint: string,
): void {
  const cfg = run as Readonly<Record<string, unknown>>;
  const diffs: string[] = [];
  const show = (v: unknown) => (v === undefined ? '(not set)' : String(v));
  for (const flag of given) {
    const key = configKey(flag);
    if (NOT_INHERITED.has(flag) || !(key in cfg)) continue;
    const safe = RESUME_SAFE_FLAGS.includes(flag);
    // The one-cycle schedule is planned over the whole run: its length cannot change either.
    const planned = saved.scheduler === 'onecycle' && (flag === 'epochs' || flag === 'steps');
    if ((safe && !planned) || same(key, cfg[key], saved[key])) continue;
    diffs.push(
      `  --${flag} ${show(cfg[key])}  (the checkpoint's run: ${show(saved[key])})` +
        (planned ? ': the onecycle schedule was planned for the whole run' : ''),
    );
  }
  if (diffs.length === 0) return;
  const safe = RESUME_SAFE_FLAGS.map((f) => `--${f}`).join(', ');
  throw new ArgumentError(
    `--resume ${checkpoint}: these options differ from the checkpoint's run:\n${diffs.join('\n')}\n` +
      `Leave them out to continue with the checkpoint's settings (only ${safe} may change), ` +
      'or start a new run without --resume.',
  );
}
