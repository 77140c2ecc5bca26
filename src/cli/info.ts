// `nabla info`: the version, the runtime, and the backends that load here with their versions.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { listBackends } from '../backend/registry.js';
import { resolveBackend } from '../backend/select.js';
import { loadFastBackends } from '../node/backends.js';
import { backendFromEnv } from '../node/default_backend.js';
import type { CommandSpec } from './args.js';
import { table, type Writer } from './progress.js';

export const INFO_SPEC: CommandSpec = {
  name: 'info',
  summary: 'List the backends available on this machine, with their versions.',
  usage: 'nabla info [options]',
  flags: { help: { type: 'boolean', short: 'h', help: 'show this help' } },
};

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function info(out: Writer): Promise<void> {
  const loaded = await loadFastBackends({ quiet: true });
  const rows = listBackends().map((b) => [b.name, b.version, 'available']);
  for (const [name, why] of Object.entries(loaded.errors))
    rows.push([name, '-', `unavailable: ${why}`]);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  out.write(
    `nabla ${packageVersion()}  (Node ${process.versions.node}, ${process.platform}-${process.arch}, ${cpus().length} × ${cpu})\n\n`,
  );
  out.write(`${table(['backend', 'version', 'status'], rows)}\n`);
  // What `import 'nabla'` and --backend auto use here (NABLA_BACKEND when set).
  const auto = resolveBackend(backendFromEnv());
  out.write(`\n--backend auto uses: ${auto}\n`);
  out.write(`import 'nabla' or 'nabla/node' makes it the default (NABLA_BACKEND overrides)\n`);
}
