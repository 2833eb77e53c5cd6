/**
 * Which AsyncLogger configurations can have their backends built in a worker, and the form the
 * worker gets them in. A backend given by name (`backend: 'wandb'`, with its section's keys
 * beside it) or the dict form of several (`backends: [...]`, with their sections) moves; a
 * logger instance made in the caller's code cannot, and neither can a configuration holding
 * something a worker cannot receive (a console stream without a file descriptor, a function).
 * A custom backend moves when `worker_modules` names the modules that register it: the worker
 * imports them before building.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LoggingConfig } from '../../config/logging-config.js';
import { sectionSchemas } from '../../config/schema.js';
import { loadYamlFile } from '../../config/yaml.js';
import { LoggerRegistry } from '../base-logger.js';
import type { BuildSpec } from './protocol.js';

/** The keys of the wrapper itself, never passed to a backend. */
const WRAPPER_KEYS = ['base_logger', 'backend', 'backends', 'config'];

export type WorkerPlan =
  | {
      readonly build: BuildSpec;
      readonly modules: readonly string[];
      /** A YAML configuration as checked here, for the calling thread's run. */
      readonly loaded?: LoggingConfig;
    }
  | { readonly build?: undefined; readonly why: string };

/**
 * The worker's build of `config` (an AsyncLogger's, less its own keys `ownKeys`), or why it stays
 * on the calling thread. Throws a ConfigError as the calling-thread build would, so that a bad
 * configuration fails at construction, not in the worker.
 */
export function planWorker(
  config: Readonly<Record<string, unknown>>,
  ownKeys: readonly string[],
  modules: readonly string[],
): WorkerPlan {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!ownKeys.includes(key) && !WRAPPER_KEYS.includes(key)) rest[key] = value;
  }
  const urls = modules.map(moduleUrl);
  const given = config.base_logger ?? config.backend;
  const customNames = LoggerRegistry.names().filter((name) => !(name in sectionSchemas));
  if (config.config !== undefined) {
    if (given !== undefined || config.backends !== undefined) {
      return { why: 'config is given with backend, backends or base_logger' };
    }
    if (typeof config.config !== 'string') return { why: 'config is not a YAML path' };
    // Read once as the calling thread would check it: the custom backends it lists may be
    // registered only in the worker, by worker_modules.
    const source = loadYamlFile(config.config);
    const listed = (source.data as { backends?: unknown } | null)?.backends;
    const custom = (Array.isArray(listed) ? listed : [])
      .map(String)
      .filter((name) => !(name in sectionSchemas));
    if (custom.length > 0 && urls.length === 0) {
      return { why: `the custom backends ${custom.join(', ')} have no worker_modules` };
    }
    const loaded = LoggingConfig.fromYamlSource(source, {
      customBackends: [...customNames, ...custom],
    });
    return { build: { kind: 'yaml', path: config.config }, modules: urls, loaded };
  }
  if (config.backends !== undefined) {
    if (given !== undefined) return { why: 'backends is given with backend or base_logger' };
    const names = config.backends;
    if (!Array.isArray(names)) return { why: 'backends is not a list' };
    const custom = names.filter((name) => !(String(name) in sectionSchemas));
    if (custom.length > 0 && urls.length === 0) {
      return { why: `the custom backends ${custom.join(', ')} have no worker_modules` };
    }
    const multi: Record<string, unknown> = { ...rest, backends: names, handle_signals: false };
    if (names.includes('console')) {
      const section = { ...((rest.console as Record<string, unknown> | undefined) ?? {}) };
      const stream = streamForWorker(section.stream);
      if (!stream) return { why: 'the console stream has no file descriptor' };
      multi.console = { ...section, stream };
    }
    // Checked here, as createLogger would, so that a mistake is an error of this call.
    // Custom backends are registered by worker_modules in the worker, maybe not here.
    LoggingConfig.load(
      { ...multi, console: rest.console },
      { customBackends: [...customNames, ...custom.map(String)] },
    );
    return cloneable({ build: { kind: 'multi', config: multi }, modules: urls });
  }
  if (given !== undefined && typeof given !== 'string') {
    return { why: 'the backend is a logger made in the calling code' };
  }
  const name = given ?? 'console';
  const builtin = name in sectionSchemas;
  if (!builtin && urls.length === 0) {
    return { why: `the custom backend ${name} has no worker_modules` };
  }
  // An unknown name fails here with the registry's suggestion, as on the calling thread.
  if (urls.length === 0) LoggerRegistry.get(name);
  const section = { ...rest };
  if (name === 'console') {
    const stream = streamForWorker(section.stream);
    if (!stream) return { why: 'the console stream has no file descriptor' };
    section.stream = stream;
  }
  if (builtin) {
    LoggingConfig.load({ backends: [], [name]: { ...section, stream: rest.stream } });
  }
  return cloneable({ build: { kind: 'backend', name, config: section }, modules: urls });
}

/**
 * The console stream as the worker gets it: `stderr` and `stdout` as they are (the worker's are
 * the process's descriptors, see the worker entry), a stream of a file descriptor as that.
 */
function streamForWorker(stream: unknown): string | { __fd: number } | undefined {
  if (stream === undefined || stream === 'stderr' || stream === 'stdout') return stream ?? 'stderr';
  const fd = (stream as { fd?: unknown } | null)?.fd;
  return typeof fd === 'number' ? { __fd: fd } : undefined;
}

function cloneable(plan: WorkerPlan & { build: BuildSpec }): WorkerPlan {
  try {
    structuredClone(plan.build);
    return plan;
  } catch (error) {
    return { why: `the configuration cannot go to a worker (${String(error)})` };
  }
}

/** A module specifier as the worker imports it: paths as file URLs (relative to the cwd). */
function moduleUrl(specifier: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    return pathToFileURL(resolve(specifier)).href;
  }
  return specifier;
}
