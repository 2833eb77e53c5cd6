#!/usr/bin/env node
/** The `jepa-loggers` command line. */
import { runBridge } from './bridge.js';
import { runDemo } from './demo.js';
import { runValidateConfig } from './validate-config.js';

const USAGE = `Usage: jepa-loggers <command> [options]

Commands:
  bridge          OTLP/HTTP in (from the Collector), TensorBoard / W&B / console out
  demo            a short training run logged to every configured backend
  validate-config FILE
                  check a logging configuration; print its problems and the resolved settings
  help            this text
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'bridge':
      return runBridge(rest);
    case 'demo':
      return runDemo(rest);
    case 'validate-config':
      return runValidateConfig(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`jepa-loggers: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
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
