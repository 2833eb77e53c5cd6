/**
 * The OTel SDK packages, loaded on first use. A logger whose backends are the console,
 * TensorBoard or W&B hands its events to them directly and needs none of the SDK's providers:
 * only OTLP, `register_global` and the SDK exporters of `jepa-loggers/otel` load them. Loaded at
 * import they were some 160 files, most of what `import 'jepa-loggers'` cost a console logger
 * (BENCHMARKS.md section 6). `@opentelemetry/api` is not here: it is the application's
 * (src/otel-api.ts).
 */
import type { Context, ContextAPI } from '@opentelemetry/api';
import type { ExportResultCode as CoreExportResultCode } from '@opentelemetry/core';
import { lazyModule } from './lazy-module.js';
import { otelApi, otelApiInUse } from './otel-api.js';

export const otelCore = lazyModule<typeof import('@opentelemetry/core')>('@opentelemetry/core');
export const otelResources = lazyModule<typeof import('@opentelemetry/resources')>(
  '@opentelemetry/resources',
);
export const sdkLogs =
  lazyModule<typeof import('@opentelemetry/sdk-logs')>('@opentelemetry/sdk-logs');
export const sdkMetrics = lazyModule<typeof import('@opentelemetry/sdk-metrics')>(
  '@opentelemetry/sdk-metrics',
);
export const sdkTrace = lazyModule<typeof import('@opentelemetry/sdk-trace')>(
  '@opentelemetry/sdk-trace',
);
export const contextAsyncHooks = lazyModule<typeof import('@opentelemetry/context-async-hooks')>(
  '@opentelemetry/context-async-hooks',
);

/**
 * `ExportResultCode` of `@opentelemetry/core`, whose values every exporter returns: spelled out,
 * so that a console or TensorBoard run returning one does not load the package for two numbers.
 * `test/otel-sdk.test.ts` checks them against the package's.
 */
export const ExportResultCode = {
  SUCCESS: 0 as CoreExportResultCode.SUCCESS,
  FAILED: 1 as CoreExportResultCode.FAILED,
} as const;

/**
 * The context key of `@opentelemetry/core`'s `suppressTracing`. It is a `Symbol.for` key, the same
 * for every copy of the package, so instrumentations (an application's fs or http ones) see it
 * set here as they would see it set by core. `test/otel-sdk.test.ts` checks it with core's own
 * `isTracingSuppressed`.
 */
let suppressTracingKey: symbol | undefined;

/** `context` with tracing suppressed, for the work an export does: it must not trace itself. */
export function suppressTracing(context: Context): Context {
  suppressTracingKey ??= otelApi().createContextKey(
    'OpenTelemetry SDK Context Key SUPPRESS_TRACING',
  );
  return context.setValue(suppressTracingKey, true);
}

/**
 * Runs `work` (an export, a request) with tracing suppressed, so that an application's
 * instrumentation (of fs, of http) does not trace it. Without OTel in the process there is
 * nothing to suppress, and `work` just runs.
 */
export function withoutTracing<A extends unknown[], R>(work: (...args: A) => R, ...args: A): R {
  const context: ContextAPI | undefined = otelApiInUse()?.context;
  if (!context) return work(...args);
  return context.with(suppressTracing(context.active()), work, undefined, ...args);
}
