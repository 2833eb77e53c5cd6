#!/usr/bin/env node
/**
 * The `jepa-loggers` command line. Each command's module is loaded only when it runs, so `--help`
 * and the small commands start fast (the demo alone loads TensorFlow.js, an optional peer
 * dependency of the package).
 */
import { readFileSync } from 'node:fs';

interface Command {
  /** What follows the command's name in the overview, e.g. `FILE`. */
  readonly args: string;
  readonly summary: string;
  /** The command's own help text. */
  readonly usage: () => Promise<string>;
  readonly run: (args: readonly string[]) => Promise<number> | number;
}

const DEMO_USAGE = `Usage: jepa-loggers demo [--config FILE]

Trains a small TensorFlow.js network on the two-moons dataset and logs it to every configured
backend: the console, TensorBoard (logs/tensorboard) and W&B offline (wandb/), and OTLP when
OTEL_EXPORTER_OTLP_ENDPOINT is set or a Collector listens on 127.0.0.1:4318.

Options:
  --config FILE   a YAML file with training: and logging: sections (the package's
                  examples/demo.yaml holds the defaults)
  -h, --help      this text
`;

const COMMANDS: Readonly<Record<string, Command>> = {
  bridge: {
    args: '[options]',
    summary: 'OTLP/HTTP in (from the Collector); TensorBoard, W&B, console out',
    usage: async () => (await import('./bridge.js')).BRIDGE_USAGE,
    run: async (args) => (await import('./bridge.js')).runBridge(args),
  },
  demo: {
    args: '[--config FILE]',
    summary: 'a short training run logged to every configured backend',
    usage: async () => DEMO_USAGE,
    run: async (args) => (await importDemo()).runDemo(args),
  },
  'validate-config': {
    args: '[--strict] FILE',
    summary: 'check a logging config: every problem, then the resolved settings',
    usage: async () => (await import('./validate-config.js')).VALIDATE_CONFIG_USAGE,
    run: async (args) => (await import('./validate-config.js')).runValidateConfig(args),
  },
  'wandb-sync': {
    args: '[options] PATH...',
    summary: 'upload offline W&B runs, each exactly once (no Python needed)',
    usage: async () => (await import('./wandb-sync.js')).WANDB_SYNC_USAGE,
    run: async (args) => (await import('./wandb-sync.js')).runWandbSync(args),
  },
};

const USAGE = `Usage: jepa-loggers <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${`${name} ${command.args}`.padEnd(32)}${command.summary}\n`)
  .join('')}  ${'help [COMMAND]'.padEnd(32)}this text, or a command's own

Options:
  -h, --help                      this text (after a command: the command's own)
  -v, --version                   the version of jepa-loggers
`;

const HELP = ['--help', '-h'];

/** The demo's module, which imports TensorFlow.js: without it, one line saying what to install. */
async function importDemo(): Promise<typeof import('./demo.js')> {
  try {
    return await import('./demo.js');
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'ERR_MODULE_NOT_FOUND' && String(message).includes("'@tensorflow/tfjs'"))
      throw new Error('demo: needs TensorFlow.js; install it with: npm install @tensorflow/tfjs');
    throw error;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || HELP.includes(name) || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      process.stdout.write(USAGE);
      return 0;
    }
    return showUsage(topic);
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`jepa-loggers: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  if (rest.some((arg) => HELP.includes(arg))) return showUsage(name);
  return command.run(rest);
}

async function showUsage(name: string): Promise<number> {
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`jepa-loggers: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  process.stdout.write(await command.usage());
  return 0;
}

function version(): string {
  const manifest = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `jepa-loggers: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
