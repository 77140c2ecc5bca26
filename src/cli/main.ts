#!/usr/bin/env node
// The nabla command: `nabla train`, `nabla dashboard`, `nabla demo`, `nabla info`, ..., and --help everywhere; usage errors exit with 2.
import { NablaError } from '../errors.js';
import {
  UsageError,
  columns,
  parseFlags,
  shortUsage,
  usageText,
  type CommandSpec,
} from './args.js';
import { DASHBOARD_SPEC, dashboardCommand } from './dashboard.js';
import { DEMO_SPEC, demoCommand } from './demo.js';
import { EXPLAIN_SPEC, explainCommand } from './explain.js';
import { EXPORT_SPEC, runExport } from './export.js';
import { INFO_SPEC, info, packageVersion } from './info.js';
import { TRAIN_SPEC, parseTrainArgs, train } from './train.js';
import { LR_FIND_SPEC, lrFindCommand } from './lr_find.js';

const COMMANDS: readonly CommandSpec[] = [
  TRAIN_SPEC,
  DASHBOARD_SPEC,
  DEMO_SPEC,
  LR_FIND_SPEC,
  EXPLAIN_SPEC,
  EXPORT_SPEC,
  INFO_SPEC,
];

function mainUsage(): string {
  return [
    'nabla: backpropagation for TypeScript.',
    '',
    'Usage: nabla <command> [options]',
    '',
    'Commands:',
    ...columns(
      COMMANDS.map((c) => [c.name, c.summary] as const),
      '  ',
    ),
    '',
    "Run 'nabla <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${mainUsage()}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === '-v') {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (command === 'info') {
      const f = parseFlags(INFO_SPEC, rest);
      if (f.help) process.stdout.write(`${usageText(INFO_SPEC)}\n`);
      else await info(process.stdout);
      return 0;
    }
    if (command === 'dashboard') return await dashboardCommand(rest, process.stdout);
    if (command === 'demo') return await demoCommand(rest, process.stdout);
    if (command === 'explain') return await explainCommand(rest, process.stdout);
    if (command === 'lr-find') return await lrFindCommand(rest, process.stdout);
    if (command === 'export') {
      const f = parseFlags(EXPORT_SPEC, rest);
      if (f.help) process.stdout.write(`${usageText(EXPORT_SPEC)}\n`);
      else await runExport(f, process.stdout);
      return 0;
    }
    if (command === 'train') {
      const cfg = parseTrainArgs(rest);
      if (cfg === 'help') {
        process.stdout.write(`${usageText(TRAIN_SPEC)}\n`);
        return 0;
      }
      let stop = false;
      let serving = false;
      const onSigint = () => {
        if (stop) process.exit(130);
        stop = true;
        process.stderr.write(
          serving
            ? '\nstopping the dashboard\n'
            : '\nstopping after this batch (Ctrl-C again to quit at once)...\n',
        );
      };
      process.on('SIGINT', onSigint);
      try {
        const result = await train(cfg, process.stdout, () => stop, {
          onKeepOpen: () => (serving = true),
        });
        return result.interrupted ? 130 : 0;
      } finally {
        process.off('SIGINT', onSigint);
      }
    }
    throw new UsageError(`unknown command '${command}'`, undefined);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(
        `nabla: ${e.message}\n\n${e.command ? shortUsage(e.command) : mainUsage()}\n`,
      );
      return 2;
    }
    if (e instanceof NablaError) {
      process.stderr.write(`nabla: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`nabla: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
