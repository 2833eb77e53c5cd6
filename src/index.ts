/**
 * jepa-loggers: training-run logging on OpenTelemetry. The seed's API (BaseLogger, LoggerRegistry,
 * Console/TensorBoard/W&B/Multi loggers, createLogger, metric utilities, middleware) over OTel
 * providers whose exporters are the console, TensorBoard, W&B and OTLP.
 */

export { ConfigError, type ConfigProblem } from './config/errors.js';
export { LoggingConfig, type LoggingConfigOptions, parseSection } from './config/logging-config.js';
export { CollectingDiagnostics, type DiagnosticLogger, stderrDiagnostics } from './diagnostics.js';
export { stepAwareBackend } from './exporters/step-aware-backend.js';
export type { TrainingSink } from './exporters/training-sink.js';
export * from './loggers/index.js';
export type { TelemetryBackend } from './telemetry/backend.js';
export { Attr, decodeTrainingEvent, EventName, type TrainingEvent } from './telemetry/events.js';
export type { HistogramInput, ImageInput, RawImage } from './telemetry/media.js';
export type { RunIdentity } from './telemetry/run-identity.js';
export { type FinishOptions, STEP_GAUGE, TrainingRun } from './telemetry/training-run.js';
export * from './trainer/index.js';
