/**
 * Training events as a W&B run (src/wandb's `WandbRun`): rows become history (merged per step,
 * lower steps dropped as W&B drops them), media become files and history values, hyperparameters
 * the config, system samples W&B's system stats, the run's end its exit code.
 */
import { type DiagnosticLogger, escapeControls, OnceWarner } from '../../diagnostics.js';
import type {
  HistogramEvent,
  HparamsEvent,
  ImageEvent,
  MetricsEvent,
  RunEndEvent,
  SystemEvent,
  TextEvent,
} from '../../events/events.js';
import { maskSecretNames } from '../../secrets.js';
import type { WandbRun, WandbRunOptions } from '../../wandb/index.js';
import { wandbClient } from '../../wandb/on-demand.js';
import type { TrainingSink } from '../training-sink.js';

export type WandbSinkOptions = WandbRunOptions;

export class WandbSink implements TrainingSink {
  private readonly run: WandbRun;
  private readonly warner: OnceWarner;
  private readonly diagnostics: DiagnosticLogger;
  private exitCode = 0;
  /** A `jepa.run.end` event arrived: the run is over, whatever closes it. */
  private ended = false;
  private dropped = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: WandbSinkOptions) {
    this.diagnostics = options.diagnostics;
    this.warner = new OnceWarner(options.diagnostics);
    this.run = new (wandbClient().WandbRun)(options);
  }

  /** A sample of system metrics, under W&B's keys and times (the System panel). */
  writeSystem(event: SystemEvent): void {
    if (!this.closing)
      this.run.logStats(event.timeMs, wandbClient().wandbSystemStats(event.values));
  }

  writeMetrics(event: MetricsEvent): void {
    if (this.accepts(event.step)) this.run.log(event.step, event.timeMs, event.values);
  }

  writeHistogram(event: HistogramEvent): void {
    if (this.accepts(event.step)) {
      this.run.log(event.step, event.timeMs, {
        [event.tag]: wandbClient().histogramValue(event.histogram),
      });
    }
  }

  writeImage(event: ImageEvent): void {
    if (!this.accepts(event.step)) return;
    const { combineImages, imageFileValue, mediaFile } = wandbClient();
    const file = mediaFile('images', event.tag, event.step, event.png, 'png');
    if (!this.run.saveFile(file.path, file.bytes, `image '${escapeControls(event.tag)}'`)) return;
    const value = imageFileValue(file, event.width, event.height);
    this.run.log(event.step, event.timeMs, { [event.tag]: value }, combineImages);
  }

  writeText(event: TextEvent): void {
    if (!this.accepts(event.step)) return;
    const { htmlFileValue, mediaFile, textHtml } = wandbClient();
    const html = Buffer.from(textHtml(event.text));
    const file = mediaFile('html', event.tag, event.step, html, 'html');
    if (!this.run.saveFile(file.path, file.bytes, `text '${escapeControls(event.tag)}'`)) return;
    this.run.log(event.step, event.timeMs, { [event.tag]: htmlFileValue(file) });
  }

  writeHparams(event: HparamsEvent): void {
    if (this.closing) return;
    // Masked as config dumps are: W&B shows the config to everyone who can see the run.
    this.run.updateConfig(maskSecretNames(event.hparams));
    if (Object.keys(event.metrics).length > 0) this.run.setSummary(event.metrics);
  }

  writeRunEnd(event: RunEndEvent): void {
    this.exitCode = event.exitCode;
    this.ended = true;
  }

  /** Hands everything written so far to the disk; the stream sends it on its next turn. */
  async forceFlush(): Promise<void> {
    if (!this.closing) this.run.flush();
  }

  /**
   * At process exit: commits the open row (later writes at its step would be dropped, as after a
   * step advance) and writes everything to disk synchronously, for `wandb sync` to upload; when
   * the run ended (the process is exiting), its exit record too.
   */
  flushSync(): void {
    if (this.closing) return;
    if (this.ended) this.closing = Promise.resolve();
    this.run.flushSync(this.ended ? this.exitCode : undefined);
  }

  /**
   * The run stopped waiting for this sink (`finish()` reached `flush_timeout`): online, say where
   * what the server may not have received is, and how to send it.
   */
  abandon(): void {
    if (!this.options.online) return;
    const { dir } = this.run;
    this.diagnostics.warning(
      `W&B: finish() stopped waiting for the server; every row is in ${dir} (the .wandb file): ` +
        `\`jepa-loggers wandb-sync ${dir}\` uploads what the server did not get`,
    );
  }

  /** Commits the last row, writes the run's end and, online, sends what is left (bounded). */
  shutdown(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  /** Stages a model and records it as an artifact; online, resolves once W&B committed it. */
  async logModel(
    model: string | Uint8Array,
    name: string,
    aliases: readonly string[],
  ): Promise<void> {
    if (this.closing) throw new Error(`logModel('${name}') after the W&B run finished`);
    await this.run.logModel(model, name, aliases);
  }

  private async close(): Promise<void> {
    this.warner.summary();
    if (this.dropped > 0) {
      this.diagnostics.warning(
        `W&B: ${this.dropped} writes were dropped because their step was below the run's current step`,
      );
    }
    await this.run.finish(this.exitCode);
  }

  /** False (counted, warned once) when `step` is below the current one: W&B would ignore it. */
  private accepts(step: number): boolean {
    if (this.closing) return false;
    if (step >= this.run.step) return true;
    this.dropped += 1;
    this.warner.warn(
      'step-back',
      `W&B: a write at step ${step} was dropped: the run is at step ${this.run.step} and ` +
        'W&B steps only move forward (later drops are counted, not shown)',
    );
    return false;
  }
}
