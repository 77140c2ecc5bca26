// Whether a build output is older than any of its sources: the install scripts skip work that is
// already done (npx re-runs them on the first `npx nabla` in a checkout; see scripts/prepare.js).
/* global process */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)));
  return t;
}

/** True when `output` is missing or older than a file under any of `sources`. */
export function isStale(output, sources) {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return sources.some((s) => newest(s) > built);
}

/** NABLA_FORCE_BUILD=1 rebuilds whatever the timestamps say. */
export const forced = process.env.NABLA_FORCE_BUILD === '1';
