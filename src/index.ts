/**
 * jepa-loggers: training-run logging on OpenTelemetry. The Python API (BaseLogger, LoggerRegistry,
 * Console/TensorBoard/W&B/Multi loggers, createLogger, metric utilities, middleware) over OTel
 * providers whose exporters are the console, TensorBoard, W&B and OTLP.
 *
 * @module jepa-loggers
 */

export { ConfigError, type ConfigProblem } from './config/errors.js';
export { LoggingConfig, type LoggingConfigOptions, parseSection } from './config/logging-config.js';
export {
  type BuiltinBackend,
  type LoggingConfigInput,
  type SectionConfig,
  sectionSchemas,
} from './config/schema.js';
export {
  CollectingDiagnostics,
  type DiagnosticLevel,
  type DiagnosticLogger,
  stderrDiagnostics,
} from './diagnostics.js';
export type { Environment, TextStream } from './environment.js';
export {
  Attr,
  decodeTrainingEvent,
  EventName,
  type ExceptionEvent,
  type HistogramData,
  type HistogramEvent,
  type HparamsEvent,
  type ImageEvent,
  type LogRecordLike,
  type MetricsEvent,
  type ProgressEvent,
  type RunEndEvent,
  type RunStatus,
  type TextEvent,
  type TrainingEvent,
} from './events/events.js';
export type {
  HistogramInput,
  ImageInput,
  OTelHistogramPoint,
  RawImage,
} from './events/media.js';
export type { RunIdentity } from './events/run-identity.js';
export type { TelemetryBackend } from './exporters/backend.js';
export { type StepAwareBackendOptions, stepAwareBackend } from './exporters/step-aware-backend.js';
export type { TrainingSink } from './exporters/training-sink.js';
export * from './loggers/index.js';
export type {
  AppLoggerProvider,
  AppMeterProvider,
  AppTracerProvider,
  OTelProviders,
} from './telemetry/app-providers.js';
export type { InstrumentKind } from './telemetry/instruments.js';
export type { TelemetryPipeline } from './telemetry/pipeline.js';
export {
  type FinishOptions,
  STEP_GAUGE,
  TrainingRun,
  type TrainingRunOptions,
} from './telemetry/training-run.js';
export * from './trainer/index.js';
