/**
 * The step-aware sinks of the built-in backends, made from their configuration sections: what a
 * logger class turns into a backend, and what `jepa-loggers/otel` wraps as SDK exporters.
 */
import { parseSection } from '../config/logging-config.js';
import type { SectionConfig } from '../config/schema.js';
import { EventName } from '../events/events.js';
import { ConsoleSink } from '../exporters/console/console-sink.js';
import { runDirectory } from '../exporters/tensorboard/run-directory.js';
import { TensorBoardSink } from '../exporters/tensorboard/tensorboard-sink.js';
import type { Level } from '../levels.js';
import type { LoggerConfig } from './base-logger.js';
import type { BackendContext } from './telemetry-logger.js';

/** The console sink of a `console` configuration section. */
export function consoleSink(
  config: LoggerConfig,
  context: Pick<BackendContext, 'env' | 'diagnostics'> & { readonly defaultLevel: Level },
): { sink: ConsoleSink; section: SectionConfig<'console'>; level: Level } {
  const section = parseSection('console', config, {
    env: context.env,
    diagnostics: context.diagnostics,
  });
  const level = section.level ?? context.defaultLevel;
  const sink = new ConsoleSink({
    level,
    format: section.format,
    dateFormat: section.datefmt,
    colored: section.colored,
    stream:
      section.stream === 'stdout'
        ? process.stdout
        : section.stream === 'stderr'
          ? process.stderr
          : section.stream,
    precision: section.precision,
    env: context.env,
  });
  return { sink, section, level };
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
    EventName.system,
    ...(section.log_histograms ? [EventName.histogram] : []),
    ...(section.log_images ? [EventName.image] : []),
  ];
}
