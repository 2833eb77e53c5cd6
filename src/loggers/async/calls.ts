/**
 * A logging call kept for later as numbers and references: which method (`CallOp`), its first
 * and second arguments, and its step. Both of an AsyncLogger's rings hold calls this way, and
 * `replayCall` makes one on a logger.
 */
import type { HistogramInput, ImageInput } from '../../events/media.js';
import type { BaseLogger, Metrics } from '../base-logger.js';

/** Which method a call is. */
export const CallOp = {
  Metrics: 0,
  AtCurrentStep: 1,
  Histogram: 2,
  Image: 3,
  Text: 4,
  Hyperparams: 5,
} as const;
export type CallOp = (typeof CallOp)[keyof typeof CallOp];

/** Makes the call on `logger`; what `logMetrics` returned (a ported logger's may be a promise). */
export function replayCall(
  logger: BaseLogger,
  op: CallOp,
  first: unknown,
  second: unknown,
  step: number | undefined,
): unknown {
  switch (op) {
    case CallOp.Metrics:
      return logger.logMetrics(first as Metrics, step);
    case CallOp.AtCurrentStep:
      return logger.logAtCurrentStep(first as Record<string, number>);
    case CallOp.Histogram:
      return logger.logHistogram(first as string, second as HistogramInput, step);
    case CallOp.Image:
      return logger.logImage(first as string, second as ImageInput, step);
    case CallOp.Text:
      return logger.logText(first as string, second as string, step);
    case CallOp.Hyperparams:
      return logger.logHyperparams(first as Record<string, unknown>, second as Metrics | undefined);
  }
}
