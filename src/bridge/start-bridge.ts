/**
 * The bridge assembled from a logging configuration: which backends every run gets (the
 * `backends` list and their sections, as in any jepa-loggers config) and the global settings they
 * read, served over OTLP/HTTP.
 */
import { asValid, LoggingConfig } from '../config/logging-config.js';
import { sectionSchemas } from '../config/schema.js';
import { type DiagnosticLogger, stderrDiagnostics } from '../diagnostics.js';
import { LoggerRegistry } from '../loggers/base-logger.js';
import '../loggers/builtins.js';
import type { Environment } from '../environment.js';
import type { TelemetryBackend } from '../exporters/backend.js';
import { type BackendContext, isTelemetryLoggerClass } from '../loggers/telemetry-logger.js';
import { Bridge } from './bridge.js';
import { type BridgeServer, type BridgeServerOptions, startBridgeServer } from './http-server.js';

export interface StartBridgeOptions extends Omit<BridgeServerOptions, 'diagnostics'> {
  /**
   * The backends and their sections: a dict, a YAML file (its `logging:` section when it has one)
   * or a LoggingConfig. Default: `defaultBridgeBackends()`.
   */
  readonly config?: Readonly<Record<string, unknown>> | string | LoggingConfig;
  /** Seconds without requests after which a run is closed (flushed). Default 1800. */
  readonly idleTimeout?: number;
  /** Default stderr. */
  readonly diagnostics?: DiagnosticLogger;
  /** Default `process.env`. */
  readonly env?: Environment;
}

export interface RunningBridge {
  readonly bridge: Bridge;
  readonly server: BridgeServer;
  /** The backends every run gets. */
  readonly backends: readonly string[];
  /** Stops the server, then closes every run (flushing its backends). */
  stop(): Promise<void>;
}

/**
 * console, and TensorBoard where it is registered. W&B is opt-in (`--config`): its default mode
 * streams to a server, which needs a key and a choice of project.
 */
export function defaultBridgeBackends(): string[] {
  return ['console', 'tensorboard'].filter((name) => LoggerRegistry.has(name));
}

export async function startBridge(options: StartBridgeOptions = {}): Promise<RunningBridge> {
  const env = options.env ?? process.env;
  const diagnostics = options.diagnostics ?? stderrDiagnostics();
  const config = LoggingConfig.load(options.config ?? { backends: defaultBridgeBackends() }, {
    env,
    diagnostics,
    customBackends: LoggerRegistry.names().filter((name) => !(name in sectionSchemas)),
  });
  const backends = [...config.backends];
  const bridge = new Bridge({
    createBackends: backendFactory(config),
    settings: config.global,
    diagnostics,
    env,
    idleTimeoutMs: options.idleTimeout === undefined ? undefined : options.idleTimeout * 1000,
  });
  let server: BridgeServer;
  try {
    const { host, port, token, maxBodyBytes } = options;
    server = await startBridgeServer(bridge, { host, port, token, maxBodyBytes, diagnostics });
  } catch (error) {
    await bridge.shutdown();
    throw error;
  }
  return {
    bridge,
    server,
    backends,
    stop: async () => {
      await server.close();
      await bridge.shutdown();
    },
  };
}

/** Checks the configured backends now, and returns what builds them for each run. */
export function backendFactory(
  config: LoggingConfig,
): (context: BackendContext) => TelemetryBackend[] {
  const classes = config.backends.map((name) => {
    if (name === 'otlp') {
      throw new Error(
        "bridge: the 'otlp' backend cannot be a bridge backend: it would send the Collector its own data back",
      );
    }
    const loggerClass = LoggerRegistry.get(name);
    if (!isTelemetryLoggerClass(loggerClass)) {
      throw new Error(
        `bridge: backend '${name}' is not an OTel backend (no static createBackend); the bridge cannot feed it`,
      );
    }
    return { name, loggerClass, section: runSection(config, name) };
  });
  return (context) =>
    classes.map(({ loggerClass, section }) => loggerClass.createBackend(section, context));
}

/**
 * A backend's section for the runs the bridge feeds. W&B copies no console output: the bridge is
 * a server, and what it prints is no run's (its runs' console lines stay in their own processes).
 */
function runSection(config: LoggingConfig, name: string): Readonly<Record<string, unknown>> {
  const section = config.section(name);
  if (name !== 'wandb') return section;
  return asValid({ ...section, console: 'off', capture_output: false });
}
