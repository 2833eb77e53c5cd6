import { parseSection } from '../config/logging-config.js';
import type { SectionConfig } from '../config/schema.js';
import { stepAwareBackend } from '../exporters/step-aware-backend.js';
import { runDirectory } from '../exporters/tensorboard/run-directory.js';
import { TensorBoardSink } from '../exporters/tensorboard/tensorboard-sink.js';
import type { TelemetryBackend } from '../telemetry/backend.js';
import { EventName } from '../telemetry/events.js';
import type { LoggerConfig } from './base-logger.js';
import {
  type BackendContext,
  TelemetryLogger,
  type TelemetryLoggerOptions,
} from './telemetry-logger.js';

/**
 * Rows, histograms, images, text and hyperparameters as TensorBoard event files (the seed's
 * `TensorBoardLogger`): `log_dir/<run name>/events.out.tfevents.*`, flushed every `flush_secs`,
 * at `finish()` and at exit. Hyperparameters are in the run's own file, for the hparams
 * dashboard. Rank 0 writes unless `all_ranks` is set (then each rank is a run, `<name>-rank<r>`).
 * An OTel log-record exporter underneath.
 */
export class TensorBoardLogger extends TelemetryLogger {
  /** The run directory written to; undefined on a rank that does not write. */
  readonly runDir: string | undefined;

  static createBackend(config: LoggerConfig, context: BackendContext): TelemetryBackend {
    return TensorBoardLogger.build(config, context).backend;
  }

  private static build(
    config: LoggerConfig,
    context: BackendContext,
  ): { backend: TelemetryBackend; runDir?: string } {
    const made = tensorBoardSink(config, context);
    if (!made) return { backend: { name: 'tensorboard' } };
    const { sink, section, runDir } = made;
    const backend = stepAwareBackend('tensorboard', sink, {
      logFrequency: section.log_frequency,
      exportIntervalMillis: context.settings.export_interval * 1000,
      events: tensorBoardEvents(section),
    });
    return { backend, runDir };
  }

  constructor(config: LoggerConfig = {}, options: TelemetryLoggerOptions = {}) {
    let runDir: string | undefined;
    super(
      config,
      (context) => {
        const built = TensorBoardLogger.build(config, context);
        runDir = built.runDir;
        return [built.backend];
      },
      options,
    );
    this.runDir = runDir;
  }
}

/**
 * The TensorBoard sink of a `tensorboard` configuration section, writing to
 * `log_dir/<run name>`; undefined on a rank that does not write.
 */
export function tensorBoardSink(
  config: LoggerConfig,
  context: Pick<BackendContext, 'env' | 'diagnostics' | 'identity'>,
): { sink: TensorBoardSink; section: SectionConfig<'tensorboard'>; runDir: string } | undefined {
  const section = parseSection('tensorboard', config, {
    env: context.env,
    diagnostics: context.diagnostics,
  });
  const { identity } = context;
  if (identity.rank !== 0 && !section.all_ranks) return undefined;
  const runDir = runDirectory({
    logDir: section.log_dir,
    runName: identity.name,
    rank: section.all_ranks && identity.worldSize > 1 ? identity.rank : undefined,
  });
  const sink = new TensorBoardSink({
    runDir,
    flushSecs: section.flush_secs,
    logImages: section.log_images,
    logHistograms: section.log_histograms,
    diagnostics: context.diagnostics,
  });
  return { sink, section, runDir };
}

/** Only what TensorBoard shows, so that nothing else is produced for it. */
export function tensorBoardEvents(section: SectionConfig<'tensorboard'>): string[] {
  return [
    EventName.metrics,
    EventName.text,
    EventName.hparams,
    EventName.runEnd,
    ...(section.log_histograms ? [EventName.histogram] : []),
    ...(section.log_images ? [EventName.image] : []),
  ];
}
