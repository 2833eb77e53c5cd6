/**
 * The run config (W&B's `wandb.config`): the hyperparameters, merged key by key as they are
 * logged. W&B stores each top-level key as `{"value": v}` (UpsertBucket's `config` string and
 * `config.yaml`).
 */
import { lazyModule } from '../lazy-module.js';
import { wandbJson } from './wandb-json.js';

const yaml = lazyModule<typeof import('yaml')>('yaml');

export class RunConfig {
  private readonly values: Record<string, unknown> = {};
  private updates = 0;

  /** Grows with every change: who sends the config remembers the version it sent. */
  get version(): number {
    return this.updates;
  }

  update(values: Readonly<Record<string, unknown>>): void {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      this.values[key] = value;
      this.updates += 1;
    }
  }

  get isEmpty(): boolean {
    return Object.keys(this.values).length === 0;
  }

  /** UpsertBucket's `config` variable: a JSON string of `{"key": {"value": v}}`. */
  upsertJson(): string {
    return wandbJson(wrapped(this.values));
  }

  /** `config.yaml` as W&B uploads it with a run's files. */
  yaml(): string {
    return yaml().stringify(wrapped(this.values));
  }

  toJSON(): Readonly<Record<string, unknown>> {
    return { ...this.values };
  }
}

function wrapped(values: Readonly<Record<string, unknown>>): Record<string, { value: unknown }> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, { value }]));
}
