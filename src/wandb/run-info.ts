/** What a W&B run is called and where it lives: the fields of its run record and UpsertBucket. */
export interface WandbRunInfo {
  /** 8 characters of [a-z0-9]. */
  readonly id: string;
  readonly project: string;
  /** Undefined: the API key owner's default entity. */
  readonly entity?: string;
  readonly displayName: string;
  readonly notes?: string;
  readonly tags: readonly string[];
  readonly group?: string;
  readonly jobType?: string;
  readonly host: string;
  /** Unix ms; `_runtime` counts from here. */
  readonly startTimeMs: number;
}
