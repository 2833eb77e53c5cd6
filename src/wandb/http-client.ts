/**
 * Requests to a W&B server with the API key, a timeout per attempt and retries by the retry
 * policy. The key travels only in the Authorization header: no message this module makes carries
 * it (messages are scrubbed of it as well, in case a server echoes it).
 */
import { withoutTracing } from '../otel-sdk.js';
import { isRetryable, parseRetryAfter, retryDelayMs } from './retry-policy.js';

export interface WandbHttpOptions {
  /** The server, e.g. `WANDB_BASE_URL`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Time allowed to one attempt (connect, send, answer), in ms. */
  readonly timeoutMs: number;
}

export interface WandbRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** A path on the server (`/graphql`), or an upload URL the server gave (sent without the key). */
  readonly url: string;
  readonly body?: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  /** What the request is for, in messages ("file_stream", "UpsertBucket"). */
  readonly what: string;
}

export interface RetryControl {
  /** Attempts in all; Infinity retries until `deadline` or `signal`. Default Infinity. */
  readonly maxAttempts?: number;
  /** Unix ms after which no attempt starts and no wait is begun. */
  readonly deadline?: number;
  /** Stops waiting and the request in flight. */
  readonly signal?: AbortSignal;
  /** Retries 409 too (UpsertBucket). */
  readonly retry409?: boolean;
  /** Keeps the process alive while waiting to retry (during finish); otherwise it need not. */
  readonly keepAlive?: boolean;
  /** Called before each wait. */
  readonly onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  readonly what: string;
  readonly attempt: number;
  readonly delayMs: number;
  /** The HTTP status, or undefined when there was no answer. */
  readonly status: number | undefined;
  readonly reason: string;
}

export interface WandbResponse {
  readonly status: number;
  readonly body: string;
}

/** A request that failed for good. `status` is undefined when the server never answered. */
export class WandbRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'WandbRequestError';
  }
}

export class WandbHttp {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  // Private fields (#) so that inspecting or serialising a logger cannot show the key.
  readonly #apiKey: string;
  readonly #authorization: string;

  constructor(options: WandbHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs;
    this.#apiKey = options.apiKey;
    this.#authorization = `Basic ${Buffer.from(`api:${options.apiKey}`).toString('base64')}`;
  }

  /** Sends `request`, retrying per the policy; resolves with a 2xx answer, else rejects. */
  async send(request: WandbRequest, control: RetryControl = {}): Promise<WandbResponse> {
    const maxAttempts = control.maxAttempts ?? Number.POSITIVE_INFINITY;
    for (let attempt = 1; ; attempt++) {
      if (control.signal?.aborted) throw this.error(`${request.what}: cancelled`, undefined);
      let status: number | undefined;
      let reason: string;
      let retryAfterMs: number | undefined;
      try {
        const response = await this.attempt(request, control.signal);
        if (response.status >= 200 && response.status < 300) return response;
        status = response.status;
        retryAfterMs = response.retryAfterMs;
        reason = `HTTP ${status}${describeBody(response.body)}`;
      } catch (error) {
        reason = networkReason(error);
      }
      if (!isRetryable(status, control) || attempt >= maxAttempts) {
        throw this.error(this.failureMessage(request, status, reason, attempt), status);
      }
      const delayMs = retryDelayMs(attempt, retryAfterMs);
      if (control.deadline !== undefined && Date.now() + delayMs > control.deadline) {
        throw this.error(`${request.what}: gave up at the deadline after ${reason}`, status);
      }
      control.onRetry?.({ what: request.what, attempt, delayMs, status, reason });
      await sleep(delayMs, control.signal, control.keepAlive ?? false);
    }
  }

  private async attempt(
    request: WandbRequest,
    signal: AbortSignal | undefined,
  ): Promise<WandbResponse & { retryAfterMs: number | undefined }> {
    // Paths are W&B's API and carry the key; absolute URLs are upload URLs the server signed.
    const ours = request.url.startsWith('/');
    const url = ours ? `${this.baseUrl}${request.url}` : request.url;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    // As the SDK's exporters do: the app's HTTP instrumentation must not trace our requests.
    const response = await withoutTracing(fetch, url, {
      method: request.method,
      headers: {
        ...(ours ? { authorization: this.#authorization } : {}),
        'user-agent': 'jepa-loggers',
        ...request.headers,
      },
      body: request.body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const body = await response.text();
    return {
      status: response.status,
      body,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    };
  }

  private failureMessage(
    request: WandbRequest,
    status: number | undefined,
    reason: string,
    attempts: number,
  ): string {
    if (status === 401) {
      return (
        `W&B rejected the API key (HTTP 401 from ${this.baseUrl} for ${request.what}): check ` +
        'WANDB_API_KEY (or the wandb api_key setting)'
      );
    }
    if (status === 403) {
      return `W&B refused ${request.what} (HTTP 403 from ${this.baseUrl}): the API key has no access to this entity or project`;
    }
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    return `W&B ${request.what} failed${tries}: ${reason}`;
  }

  /** `text` with the key masked, for any message built from what a server said. */
  redact(text: string): string {
    return text.split(this.#apiKey).join('***');
  }

  private error(message: string, status: number | undefined): WandbRequestError {
    return new WandbRequestError(this.redact(message), status);
  }
}

function describeBody(body: string): string {
  const text = body.trim().replace(/\s+/g, ' ');
  return text ? `: ${text.length > 200 ? `${text.slice(0, 200)}...` : text}` : '';
}

function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return error.name === 'TimeoutError' ? 'no answer before the timeout' : 'cancelled';
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `no answer (${cause?.code ?? cause?.message ?? String(error)})`;
}

function sleep(ms: number, signal: AbortSignal | undefined, keepAlive: boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    if (!keepAlive) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
