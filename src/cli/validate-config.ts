/**
 * `jepa-loggers validate-config [--strict] FILE`: loads a logging configuration as `createLogger`
 * would in this environment and prints every error and every warning (file, line, suggestion),
 * then the resolved configuration with secrets masked. Exit code 1 when the configuration cannot
 * be used (or, with `--strict`, has warnings), 2 for bad arguments, 0 otherwise.
 */
import { parseArgs } from 'node:util';
import { ConfigError, type ConfigProblem, formatProblem } from '../config/errors.js';
import { LoggingConfig } from '../config/logging-config.js';
import { sectionSchemas } from '../config/schema.js';
import { stringifyYaml } from '../config/yaml.js';
import { CollectingDiagnostics } from '../diagnostics.js';
import { LoggerRegistry } from '../loggers/base-logger.js';
import { missingApiKey, wandbApiKey, wandbMode } from '../loggers/wandb-backend.js';
import '../loggers/builtins.js';
import type { Environment } from '../environment.js';
import { type CommandIo, parseCommandLine } from './command-line.js';

export const VALIDATE_CONFIG_USAGE = `Usage: jepa-loggers validate-config [--strict] FILE

Checks a logging configuration (YAML; its logging: section when it has one) as createLogger
would in this environment. Prints every error and every warning (an unknown key, ignored) with
its file, line and a suggestion, then the resolved configuration with defaults and environment
variables filled in and secrets masked (a key is never printed).

A wandb backend in online mode needs an API key, from any of: WANDB_API_KEY, wandb.api_key in
the configuration, or ~/.netrc (where \`wandb login\` saves it); without one it is an error.

Options:
  --strict     warnings fail too
  -h, --help   this text

Exit code: 0 the configuration can be used, 1 it cannot (or has warnings, with --strict),
2 bad arguments.
`;

/** What the command reads and writes; each defaults to the process's own. */
export type ValidateConfigIo = CommandIo;

export function runValidateConfig(args: readonly string[], io: ValidateConfigIo = {}): number {
  const line = parseCommandLine(
    'validate-config',
    VALIDATE_CONFIG_USAGE,
    io,
    () => parseOptions(args),
    (positionals) => (positionals.length === 1 ? undefined : 'name one configuration file'),
  );
  if (typeof line === 'number') return line;
  const { values, positionals, out, err, env } = line;
  const file = positionals[0]!;
  const customBackends = LoggerRegistry.names().filter((name) => !(name in sectionSchemas));
  let config: LoggingConfig | undefined;
  let errors: readonly ConfigProblem[];
  let warnings: readonly ConfigProblem[];
  try {
    // The warnings are printed below with the errors; the diagnostics would print them again.
    config = LoggingConfig.fromYaml(file, {
      env,
      diagnostics: new CollectingDiagnostics(),
      customBackends,
    });
    errors = environmentProblems(config, env);
    warnings = config.warnings;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    errors = error.problems;
    warnings = error.warnings;
  }
  for (const problem of errors) err.write(`error: ${formatProblem(problem)}\n`);
  for (const warning of warnings) err.write(`warning: ${formatProblem(warning)}\n`);
  if (config) {
    out.write(
      `# ${file}: resolved configuration (secrets masked)\n${stringifyYaml(config.toDict())}`,
    );
  }
  const counts = `${errors.length} error(s), ${warnings.length} warning(s)`;
  if (errors.length > 0) {
    err.write(`${file}: ${counts}; the configuration cannot be used\n`);
    return 1;
  }
  if (values.strict && warnings.length > 0) {
    err.write(`${file}: ${counts}; --strict makes warnings fail\n`);
    return 1;
  }
  return 0;
}

function parseOptions(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

/** What the configuration lacks in this environment that createLogger would throw for. */
function environmentProblems(config: LoggingConfig, env: Environment): ConfigProblem[] {
  const wandb = config.section('wandb');
  const online = config.backends.includes('wandb') && wandbMode(wandb.mode) === 'online';
  return online && !wandbApiKey(wandb, env) ? [{ ...missingApiKey(wandb), file: config.file }] : [];
}
