/**
 * The lines our console backend prints, published process-wide for whoever copies a run's console
 * output elsewhere (W&B's Logs tab), so that neither backend needs to know the other.
 */
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { TextStream } from './environment.js';

export interface PrintedLine {
  /** One or more whole lines, each ending in `\n`, as printed (colours included). */
  readonly text: string;
  /** Where they were printed. */
  readonly stream: TextStream;
}

const CHANNEL = 'jepa-loggers:console-lines';

const printedLines = channel(CHANNEL);

/** Hands lines just printed to the listeners of `onPrintedLine`; nearly free without any. */
export function publishPrintedLine(line: PrintedLine): void {
  if (printedLines.hasSubscribers) printedLines.publish(line);
}

/** Calls `listener` with every line our console backend prints; returns what stops it. */
export function onPrintedLine(listener: (line: PrintedLine) => void): () => void {
  const onMessage = (message: unknown) => listener(message as PrintedLine);
  subscribe(CHANNEL, onMessage);
  return () => unsubscribe(CHANNEL, onMessage);
}
