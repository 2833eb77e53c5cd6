export { AsyncLogger, type AsyncLoggerStats } from './async-logger.js';
export {
  BaseLogger,
  type LoggerClass,
  type LoggerConfig,
  LoggerFacade,
  LoggerRegistry,
  type Metrics,
} from './base-logger.js';
export { ConditionalLogger } from './conditional.js';
export { ConsoleLogger } from './console-logger.js';
export {
  type AnyFunction,
  type CallDecorator,
  type CallDecoratorOptions,
  type FunctionCallsOptions,
  logExceptions,
  logExecutionTime,
  logFunctionCalls,
} from './decorators.js';
export { LoggerWrapper, type LoggerWrapperOptions } from './logger-wrapper.js';
export { LoggerMiddleware, type MiddlewareResult } from './middleware.js';
export {
  type BackendSpec,
  createLogger,
  MultiLogger,
  type MultiLoggerConfig,
} from './multi-logger.js';
export {
  type ConsoleExporterOptions,
  ConsoleLogRecordExporter,
  type ExporterRunOptions,
  type TensorBoardExporterOptions,
  TensorBoardLogRecordExporter,
  TensorBoardMetricExporter,
  type WandbExporterOptions,
  WandbLogRecordExporter,
  WandbMetricExporter,
} from './otel.js';
export { OtlpLogger } from './otlp-logger.js';
export {
  type JsonSchema,
  STRUCTURED_EVENT,
  StructuredLogger,
  StructuredRecordError,
  type Violation,
} from './structured.js';
export {
  type BackendContext,
  TelemetryLogger,
  type TelemetryLoggerClass,
  type TelemetryLoggerOptions,
} from './telemetry-logger.js';
export { TensorBoardLogger } from './tensorboard-logger.js';
export { addPrefix, flattenMetrics, formatMetrics } from './utils.js';
export { WandbLogger } from './wandb-logger.js';
