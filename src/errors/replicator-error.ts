/**
 * Whether retrying the same operation can succeed.
 * - `transient`: network failures, 429, 5xx, serialization failures: retry with backoff.
 * - `terminal`: bad credentials, unknown connection, invalid config or input: retrying cannot help.
 */
export type RetryClass = 'transient' | 'terminal';

export interface ReplicatorErrorOptions {
  retry: RetryClass;
  cause?: unknown;
  /** Structured, secret-free facts for logs and status (ids, HTTP status, field paths). */
  details?: Record<string, unknown>;
}

/**
 * The one error type the replicator raises on purpose. Callers branch on `code` and `retry`,
 * never on `message`, which is written for the operator and says what to check.
 */
export class ReplicatorError extends Error {
  readonly code: string;
  readonly retry: RetryClass;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: ReplicatorErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReplicatorError';
    this.code = code;
    this.retry = options.retry;
    this.details = options.details ?? {};
  }

  /** The shape logged and stored: code, message and details; no stack, no cause chain with secrets. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, retry: this.retry, ...this.details };
  }
}

/** True when `error` is a ReplicatorError that retrying cannot fix. */
export function isTerminal(error: unknown): boolean {
  return error instanceof ReplicatorError && error.retry === 'terminal';
}
