/**
 * Our step-aware exporters as standard OTel SDK objects, for an application that runs its own
 * SDK (`NodeSDK`, or providers of its own): add the log-record exporters to its
 * `logRecordProcessors` and the metric exporters to its `metricReaders`, log with
 * `createLogger({ backends: [] })`, and TensorBoard, W&B and the console get every row at its
 * step. Each exporter takes the options of its backend's configuration section (the keys of
 * docs/configuration.md), plus the run's identity.
 *
 * - A log-record exporter writes the training events (docs/events.md) of any producer; other log
 *   records pass through untouched.
 * - A metric exporter writes the application's other instruments (its own counters, runtime
 *   metrics) at the run's latest step. Made from a log-record exporter, it writes into the same
 *   run (one TensorBoard file, one W&B run) and closes it after both have shut down.
 *
 * @example
 * ```ts
 * const tensorboard = new TensorBoardLogRecordExporter({ log_dir: 'runs', run_name: 'baseline' });
 * const sdk = new NodeSDK({
 *   logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: tensorboard })],
 *   metricReaders: [
 *     new PeriodicExportingMetricReader({ exporter: new TensorBoardMetricExporter(tensorboard) }),
 *   ],
 * });
 * ```
 *
 * @module jepa-loggers/otel
 */
import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type {
  AggregationTemporality,
  PushMetricExporter,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { parseSection } from '../config/logging-config.js';
import type { consoleSection } from '../config/sections/console.js';
import type { tensorboardSection } from '../config/sections/tensorboard.js';
import type { wandbSection } from '../config/sections/wandb.js';
import type * as z from '../config/zod.js';
import { type DiagnosticLogger, stderrDiagnostics } from '../diagnostics.js';
import type { Environment } from '../environment.js';
import { type RunIdentity, resolveRunIdentity } from '../events/run-identity.js';
import { SinkEventExporter } from '../exporters/sink-event-exporter.js';
import { SinkLifetime } from '../exporters/sink-lifetime.js';
import { SinkMetricExporter } from '../exporters/sink-metric-exporter.js';
import { StepTracker, type TrainingSink } from '../exporters/training-sink.js';
import { ExportResultCode, sdkMetrics } from '../otel-sdk.js';
import { consoleSink, tensorBoardSink } from './backend-sinks.js';
import { wandbSink } from './wandb-backend.js';

/** Who the run is, and where the exporter reads its environment and reports its problems. */
export interface ExporterRunOptions {
  /** The run's name (TensorBoard's run directory); default `JEPA_RUN_NAME`, else `run-<id>`. */
  readonly run_name?: string;
  /** The run's id, 8 characters of [a-z0-9]; default `JEPA_RUN_ID`, the launcher's, or random. */
  readonly run_id?: string;
  /** The run's project; default `JEPA_PROJECT`, `WANDB_PROJECT`, else "jepa". */
  readonly project?: string;
  /** Environment for the run's identity, ranks and `WANDB_*` variables. Default `process.env`. */
  readonly env?: Environment;
  /** Receives the exporter's warnings. Default stderr. */
  readonly diagnostics?: DiagnosticLogger;
}

/** The `console` section's keys (docs/configuration.md) and the run's. */
export type ConsoleExporterOptions = z.input<typeof consoleSection> & ExporterRunOptions;
/** The `tensorboard` section's keys (docs/configuration.md) and the run's. */
export type TensorBoardExporterOptions = z.input<typeof tensorboardSection> & ExporterRunOptions;
/**
 * The `wandb` section's keys (docs/configuration.md: `project`, `name`, `id` name the W&B run)
 * and the run's.
 */
export type WandbExporterOptions = z.input<typeof wandbSection> & ExporterRunOptions;

/** A sink, the latest step its events reached, and the writers that keep it open. */
interface SinkParts {
  readonly sink: TrainingSink;
  readonly steps: StepTracker;
  readonly lifetime: SinkLifetime;
}

interface Made {
  readonly sink: TrainingSink | undefined;
  readonly logFrequency?: number;
}

const partsOf = new WeakMap<StepAwareLogRecordExporter, SinkParts | undefined>();

function partsFrom(made: Made): SinkParts | undefined {
  const { sink } = made;
  return sink && { sink, steps: new StepTracker(), lifetime: new SinkLifetime(sink) };
}

/** The section's own keys, the run's options, and what the sinks need to be made. */
function split<O extends ExporterRunOptions>(options: O) {
  const { run_name, run_id, project, env = process.env, diagnostics, ...section } = options;
  const context = { env, diagnostics: diagnostics ?? stderrDiagnostics() };
  const identity = (
    overrides: { id?: string; name?: string; project?: string } = {},
  ): RunIdentity =>
    resolveRunIdentity(
      {
        id: overrides.id ?? run_id,
        name: overrides.name ?? run_name,
        project: overrides.project ?? project,
      },
      env,
    );
  return { section: section as Record<string, unknown>, context, identity };
}

/** The training events of any producer, written to a step-aware sink. */
abstract class StepAwareLogRecordExporter implements LogRecordExporter {
  private readonly events: SinkEventExporter | undefined;

  protected constructor(made: Made) {
    const parts = partsFrom(made);
    partsOf.set(this, parts);
    this.events =
      parts &&
      new SinkEventExporter({
        sink: parts.sink,
        steps: parts.steps,
        logFrequency: made.logFrequency,
        release: parts.lifetime.hold(),
      });
  }

  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    if (this.events) this.events.export(records, resultCallback);
    else resultCallback({ code: ExportResultCode.SUCCESS });
  }

  forceFlush(): Promise<void> {
    return this.events?.forceFlush() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.events?.shutdown() ?? Promise.resolve();
  }
}

/** The application's other instruments, written to a step-aware sink at the run's latest step. */
abstract class StepAwareMetricExporter implements PushMetricExporter {
  private readonly metrics: SinkMetricExporter | undefined;

  protected constructor(parts: SinkParts | undefined) {
    this.metrics = parts && new SinkMetricExporter(parts.sink, parts.steps, parts.lifetime.hold());
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    if (this.metrics) this.metrics.export(metrics, resultCallback);
    else resultCallback({ code: ExportResultCode.SUCCESS });
  }

  selectAggregationTemporality(): AggregationTemporality {
    return sdkMetrics().AggregationTemporality.CUMULATIVE;
  }

  forceFlush(): Promise<void> {
    return this.metrics?.forceFlush() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.metrics?.shutdown() ?? Promise.resolve();
  }
}

/** Training events as console lines, as the `console` backend prints them. */
export class ConsoleLogRecordExporter extends StepAwareLogRecordExporter {
  constructor(options: ConsoleExporterOptions = {}) {
    const { section, context } = split(options);
    const { sink, section: parsed } = consoleSink(section, { ...context, defaultLevel: 'INFO' });
    super({ sink, logFrequency: parsed.log_frequency });
  }
}

function tensorBoard(options: TensorBoardExporterOptions): Made {
  const { section, context, identity } = split(options);
  const made = tensorBoardSink(section, { ...context, identity: identity() });
  return { sink: made?.sink, logFrequency: made?.section.log_frequency };
}

/** Training events as a TensorBoard run: `log_dir/<run name>/events.out.tfevents.*`. */
export class TensorBoardLogRecordExporter extends StepAwareLogRecordExporter {
  constructor(options: TensorBoardExporterOptions = {}) {
    super(tensorBoard(options));
  }
}

/**
 * The application's instruments as TensorBoard scalars and histograms at the run's latest step:
 * in the run of the given `TensorBoardLogRecordExporter`, or in a run of its own.
 */
export class TensorBoardMetricExporter extends StepAwareMetricExporter {
  constructor(run: TensorBoardLogRecordExporter | TensorBoardExporterOptions = {}) {
    super(
      run instanceof TensorBoardLogRecordExporter ? partsOf.get(run) : partsFrom(tensorBoard(run)),
    );
  }
}

function wandb(options: WandbExporterOptions): Made {
  const { section, context, identity } = split(options);
  const parsed = parseSection('wandb', section, context);
  const sink = wandbSink(parsed, {
    ...context,
    identity: identity({ id: parsed.id, name: parsed.name, project: parsed.project }),
  });
  return { sink, logFrequency: parsed.log_frequency };
}

/** Training events as a W&B run: streamed online, or written offline for `wandb sync`. */
export class WandbLogRecordExporter extends StepAwareLogRecordExporter {
  constructor(options: WandbExporterOptions = {}) {
    super(wandb(options));
  }
}

/**
 * The application's instruments as W&B history keys at the run's latest step: in the run of the
 * given `WandbLogRecordExporter`, or in a run of its own.
 */
export class WandbMetricExporter extends StepAwareMetricExporter {
  constructor(run: WandbLogRecordExporter | WandbExporterOptions = {}) {
    super(run instanceof WandbLogRecordExporter ? partsOf.get(run) : partsFrom(wandb(run)));
  }
}
