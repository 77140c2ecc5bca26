// `nabla demo`: serves the seed lesson as an interactive page (backprop step by step, the trouble lab, digits) on 127.0.0.1 until Ctrl-C.
import { spawn } from 'node:child_process';
import { DemoServer } from '../node/demo_server.js';
import { parseCommandLine, usageText, type CommandSpec } from './args.js';
import { PORT_FLAG, portFlag, untilSignal } from './dashboard.js';
import type { Writer } from './progress.js';

export const DEMO_SPEC: CommandSpec = {
  name: 'demo',
  summary: 'The seed lesson as a page: backprop step by step, a trouble lab, digits.',
  usage: 'nabla demo [options]',
  flags: {
    port: PORT_FLAG,
    open: { type: 'boolean', help: 'open the page in the default browser', default: false },
    help: { type: 'boolean', short: 'h', help: 'show this help' },
  },
  notes: [
    [
      'Three panels, training in the page on the wasm kernels (nothing is downloaded):',
      '  Backprop step by step  the seed network; each click runs forward, loss, backward or',
      '                         update, every node shows its value and gradient, and the chain',
      '                         rule is written out with its numbers',
      '  Trouble lab            depth, activation, initialisation, BatchNorm, learning rate and',
      '                         clipping; per-layer gradient norms live, and the gradient-health',
      "                         monitor's diagnosis and advice",
      '  Digits                 an MLP learns the 8x8 digits; then draw one to classify it',
      'The server listens on 127.0.0.1 only and runs until Ctrl-C.',
    ].join('\n'),
  ],
  examples: ['nabla demo', 'nabla demo --port 8080 --open'],
};

/** The platform's command that opens a URL in the default browser. */
function openCommand(url: string): [string, string[]] {
  if (process.platform === 'darwin') return ['open', [url]];
  if (process.platform === 'win32') return ['cmd', ['/c', 'start', '""', url]];
  return ['xdg-open', [url]];
}

export async function demoCommand(argv: readonly string[], out: Writer): Promise<number> {
  const { flags } = parseCommandLine(DEMO_SPEC, argv);
  if (flags.help) {
    out.write(`${usageText(DEMO_SPEC)}\n`);
    return 0;
  }
  const port = portFlag(DEMO_SPEC, flags.port);
  const server = await DemoServer.start({ port });
  out.write(`nabla demo: ${server.url}\nPress Ctrl-C to stop.\n`);
  if (flags.open === true) {
    const [cmd, args] = openCommand(server.url);
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', (e) =>
      out.write(`nabla demo: could not open a browser (${e.message}); open ${server.url}\n`),
    );
    child.unref();
  }
  await untilSignal();
  await server.close();
  out.write('nabla demo: stopped\n');
  return 0;
}
