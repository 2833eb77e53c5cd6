/**
 * The calling thread's part of a run whose backends are in an AsyncLogger's worker: a run with
 * no backends of its own, for the application's OTel providers (registered by its SDK, found
 * late too). They get the rows' instruments and training events on the calling thread, where
 * the application's context is, as they do without a worker; when the application has no
 * providers, a call costs it a step and a look-up. It has the worker's run id, so both name the
 * same run. Decorator spans are recorded here too: when the worker's backends include OTLP, the
 * calling thread exports the spans over OTLP itself, and the worker the rows and instruments.
 */
import { LoggingConfig, parseSection } from '../../config/logging-config.js';
import type { OtlpSection } from '../../config/sections/otlp.js';
import type { DiagnosticLogger } from '../../diagnostics.js';
import { newRunId } from '../../events/run-identity.js';
import { otlpBackend, otlpConfiguredByEnv } from '../../exporters/otlp/otlp-backend.js';
import { untrackRun } from '../../telemetry/lifecycle.js';
import { TelemetryLogger } from '../telemetry-logger.js';
import type { BuildSpec } from './protocol.js';

/** The run-wide keys that name the run or shape its instruments. */
const RUN_KEYS = [
  'project',
  'run_name',
  'run_id',
  'instruments',
  'histogram_bins',
  'register_global',
] as const;

/**
 * The caller's run for `build`, and the run id the worker's backends must use (undefined when
 * the configuration names it already). `loaded` is a YAML build's configuration as `planWorker`
 * checked it; it is read again when not given.
 */
export function callerRun(
  build: BuildSpec,
  diagnostics: DiagnosticLogger,
  loaded = build.kind === 'yaml' ? LoggingConfig.load(build.path) : undefined,
): { run: TelemetryLogger; runId: string | undefined } {
  const given = runSettings(build, loaded);
  const runId = given.run_id === undefined ? (process.env.JEPA_RUN_ID ?? newRunId()) : undefined;
  const otlp = otlpOf(build, loaded, diagnostics);
  const run = new TelemetryLogger(
    {},
    ({ env }) => (otlp ? [otlpBackend(otlp, { env, diagnostics, part: 'calls' })] : []),
    {
      // The worker reports the rows' bad values and the like: only errors from here.
      diagnostics: { ...diagnostics, debug() {}, info() {}, warning() {} },
      // The worker's run records the rows' instruments for our backends.
      rowInstrumentsOnOwnMeter: false,
      settings: {
        ...given,
        ...(runId ? { run_id: runId } : {}),
        handle_signals: false,
        system_metrics: false,
      },
    },
  );
  // The AsyncLogger's own exit hooks finish it.
  untrackRun(run);
  return { run, runId };
}

function runSettings(build: BuildSpec, loaded: LoggingConfig | undefined): Record<string, unknown> {
  let source: Record<string, unknown>;
  if (build.kind === 'yaml') {
    source = { ...loaded?.global };
  } else if (build.kind === 'multi') {
    source = build.config;
  } else if (build.name === 'wandb') {
    // The W&B section names the run as WandbLogger does.
    const c = build.config;
    source = { project: c.project, run_name: c.name, run_id: c.id };
  } else {
    source = {};
  }
  const settings: Record<string, unknown> = {};
  for (const key of RUN_KEYS) if (source[key] !== undefined) settings[key] = source[key];
  return settings;
}

/** The OTLP section of the worker's backends (added by the environment too, as createLogger does). */
function otlpOf(
  build: BuildSpec,
  loaded: LoggingConfig | undefined,
  diagnostics: DiagnosticLogger,
): OtlpSection | undefined {
  if (build.kind === 'yaml') {
    const named = loaded?.backends.includes('otlp') || otlpConfiguredByEnv();
    return named ? (loaded?.section('otlp') as OtlpSection) : undefined;
  }
  const { config } = build;
  const named =
    build.kind === 'backend'
      ? build.name === 'otlp'
      : (config.backends as unknown[]).includes('otlp') || otlpConfiguredByEnv();
  if (!named) return undefined;
  const section = build.kind === 'backend' ? config : (config.otlp as Record<string, unknown>);
  return parseSection('otlp', section ?? {}, { diagnostics });
}
