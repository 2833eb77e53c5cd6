/**
 * `@opentelemetry/api`, loaded when OTel can matter to the process, not when `jepa-loggers` is
 * imported. Its 65 CommonJS files took 45 ms to load, the largest part of what a console logger
 * cost at import (BENCHMARKS.md section 6), and a process that logs to the console, TensorBoard
 * or W&B without any OTel of its own has no use for it: no provider to find, no context to join.
 *
 * OTel matters once something registers an OTel global (an application's SDK, a context
 * manager, a `diag` logger: the API keeps them on `globalThis` under a `Symbol.for` key, the same
 * for every copy of the API of one major version), or once this package needs the API itself (a
 * decorated call makes a span, an OTLP backend, `register_global`). The module loaded is the
 * one an `import` would load: the application's copy when it shares ours.
 */
import { lazyModule } from './lazy-module.js';

type Api = typeof import('@opentelemetry/api');
type LogsApi = typeof import('@opentelemetry/api-logs');

const load = lazyModule<Api>('@opentelemetry/api');
let api: Api | undefined;

/** Where the API (1.x) keeps its registered globals, and where the logs API (2.x line) keeps its. */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');
const LOGS_GLOBALS = Symbol.for('io.opentelemetry.js.api.logs');

/** `@opentelemetry/api-logs`, where OTel JS 2.x keeps the logs API, loaded on first use. */
export const otelApiLogs = lazyModule<LogsApi>('@opentelemetry/api-logs');

/** The API, loaded now if it was not. */
export function otelApi(): Api {
  api ??= load();
  return api;
}

/**
 * Tells whether the registered OTel providers may have changed since it last looked: the API's
 * global entries for traces, metrics and logs (1.10 keeps the logs API there too) and the 2.x
 * logs API's, compared by identity. A search for the application's providers then runs once per
 * registration, not once per row (a few property reads per row, no allocation). Every
 * registration through the API makes a new entry (a provider, a fresh proxy after `disable()`, a
 * new getter); a delegate set by hand on a proxy already registered is not seen.
 */
export class OtelGlobalsWatch {
  private looked = false;
  private trace: unknown;
  private metrics: unknown;
  private logs: unknown;
  private logsApi: unknown;

  changed(): boolean {
    const globals = globalThis as Record<symbol, Record<string, unknown> | undefined>;
    const api = globals[API_GLOBALS];
    const trace = api?.trace;
    const metrics = api?.metrics;
    const logs = api?.logs;
    const logsApi = globals[LOGS_GLOBALS];
    if (
      this.looked &&
      trace === this.trace &&
      metrics === this.metrics &&
      logs === this.logs &&
      logsApi === this.logsApi
    ) {
      return false;
    }
    this.looked = true;
    this.trace = trace;
    this.metrics = metrics;
    this.logs = logs;
    this.logsApi = logsApi;
    return true;
  }
}

/**
 * The API when OTel can matter: it is loaded, or something registered an OTel global. Otherwise
 * undefined, and nothing is loaded: no span can be active and no application provider found.
 * Cheap (a property read), for the hot path.
 */
export function otelApiInUse(): Api | undefined {
  if (api) return api;
  const globals = globalThis as Record<symbol, unknown>;
  if (globals[API_GLOBALS] === undefined && globals[LOGS_GLOBALS] === undefined) return undefined;
  return otelApi();
}
