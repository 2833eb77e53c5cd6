/**
 * The active context for the spans and rows of a run, without a global context manager. Spans
 * nest through the application's context manager when it has one (a `NodeSDK` installs it); a
 * run never installs one itself (unless `register_global`), so its own calls keep their nesting
 * in a store of their own beside it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, SpanContext } from '@opentelemetry/api';
import { otelApi, otelApiInUse } from '../otel-api.js';

const calls = new AsyncLocalStorage<Context>();

/** The application's active context when it has one, else that of the innermost call of ours. */
export function activeContext(): Context {
  const { context, ROOT_CONTEXT } = otelApi();
  const active = context.active();
  return active !== ROOT_CONTEXT ? active : (calls.getStore() ?? ROOT_CONTEXT);
}

/**
 * The span of the active context. Without OTel in the process (src/otel-api.ts) no span can be
 * active, and the API is not loaded to say so.
 */
export function activeSpanContext(): SpanContext | undefined {
  return otelApiInUse()?.trace.getSpanContext(activeContext());
}

/** Runs `fn` with `ctx` active, for the application's context manager and for ours. */
export function withActiveContext<T>(ctx: Context, fn: () => T): T {
  return calls.run(ctx, () => otelApi().context.with(ctx, fn));
}
