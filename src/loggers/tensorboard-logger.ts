import type { TelemetryBackend } from '../exporters/backend.js';
import { stepAwareBackend } from '../exporters/step-aware-backend.js';
import { tensorBoardEvents, tensorBoardSink } from './backend-sinks.js';
import type { LoggerConfig } from './base-logger.js';
import {
  type BackendContext,
  TelemetryLogger,
  type TelemetryLoggerOptions,
} from './telemetry-logger.js';

/** The TensorBoard backend, and the run directory it writes (none on a rank that does not). */
interface TensorBoardBackend extends TelemetryBackend {
  readonly runDir?: string;
}

/**
 * Rows, histograms, images, text and hyperparameters as TensorBoard event files (the Python API's
 * `TensorBoardLogger`): `log_dir/<run name>/events.out.tfevents.*`, flushed every `flush_secs`,
 * at `finish()` and at exit. Hyperparameters are in the run's own file, for the hparams
 * dashboard. Rank 0 writes unless `all_ranks` is set (then each rank is a run, `<name>-rank<r>`).
 * An OTel log-record exporter underneath.
 */
export class TensorBoardLogger extends TelemetryLogger {
  /** The run directory written to; undefined on a rank that does not write. */
  readonly runDir: string | undefined;

  static createBackend(config: LoggerConfig, context: BackendContext): TensorBoardBackend {
    const made = tensorBoardSink(config, context);
    if (!made) return { name: 'tensorboard' };
    const { sink, section, runDir } = made;
    const backend = stepAwareBackend('tensorboard', sink, {
      logFrequency: section.log_frequency,
      exportIntervalMillis: context.settings.export_interval * 1000,
      events: tensorBoardEvents(section),
    });
    return { ...backend, runDir };
  }

  constructor(config: LoggerConfig = {}, options: TelemetryLoggerOptions = {}) {
    super(config, (context) => [TensorBoardLogger.createBackend(config, context)], options);
    // The first backend is the one made above.
    this.runDir = (this.backends[0] as TensorBoardBackend).runDir;
  }
}
