/**
 * `jepa-loggers validate-config FILE`: loads a logging configuration as `createLogger` would and
 * prints every problem (file, line, suggestion), then the resolved configuration with secrets
 * masked. Exit code 1 when the configuration cannot be used, 0 otherwise (warnings included).
 */
import { stringify } from 'yaml';
import { ConfigError, formatProblem } from '../config/errors.js';
import { LoggingConfig } from '../config/logging-config.js';
import { sectionSchemas } from '../config/schema.js';
import { CollectingDiagnostics } from '../diagnostics.js';
import { LoggerRegistry } from '../loggers/base-logger.js';
import '../loggers/builtins.js';

export const VALIDATE_CONFIG_USAGE = `Usage: jepa-loggers validate-config FILE

Checks a logging configuration (YAML; its logging: section when it has one), prints every
problem with its file, line and a suggestion, then the resolved configuration with defaults and
environment variables filled in and secrets masked.
`;

/** Where the command writes: stdout and stderr, or anything with `write` in tests. */
export interface Output {
  write(text: string): unknown;
}

export function runValidateConfig(
  args: readonly string[],
  out: Output = process.stdout,
  err: Output = process.stderr,
): number {
  const [file, ...extra] = args;
  if (!file || file === '--help' || file === '-h' || extra.length > 0) {
    (file === '--help' || file === '-h' ? out : err).write(VALIDATE_CONFIG_USAGE);
    return file === '--help' || file === '-h' ? 0 : 2;
  }
  const diagnostics = new CollectingDiagnostics();
  const customBackends = LoggerRegistry.names().filter((name) => !(name in sectionSchemas));
  let config: LoggingConfig;
  try {
    config = LoggingConfig.fromYaml(file, { diagnostics, customBackends });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) err.write(`error: ${formatProblem(problem)}\n`);
    err.write(`${file}: ${error.problems.length} error(s); the configuration cannot be used\n`);
    return 1;
  }
  for (const warning of config.warnings) err.write(`warning: ${formatProblem(warning)}\n`);
  out.write(`# ${file}: resolved configuration (secrets masked)\n${stringify(config.toDict())}`);
  return 0;
}
