// Test helper: a worker_threads Worker running a TypeScript module (tsx's loader registered inside the worker first).
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './cli.js';

const TSX_API = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/esm/api/index.mjs')).href;

/** A worker running the module at `file` (a path or file URL), with tsx compiling TypeScript. */
export function tsWorker(file: string | URL, env?: Record<string, string>): Worker {
  const url = typeof file === 'string' ? pathToFileURL(file).href : file.href;
  // NOTE: Node 20 does not apply an --import loader given in a worker's execArgv; registering it
  // from the worker's own first module does.
  const boot = `import { register } from ${JSON.stringify(TSX_API)};
register();
await import(${JSON.stringify(url)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), {
    ...(env !== undefined && { env: { ...process.env, ...env } }),
  });
}
