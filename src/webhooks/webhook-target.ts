import type { StreamKey } from '../stream/stream-key.js';

/** What became of a request to pull a stream. */
export type SyncRequestOutcome =
  /** A job was added and will pull the stream soon. */
  | 'enqueued'
  /** A job for the stream is already waiting (a burst of webhooks causes one pull). */
  | 'already-queued'
  /** The stream (for a variant: its base stream) is not in the configuration's `streams`: nothing is pulled. */
  | 'not-followed';

/** Why a pull is requested, for logs and job data. No secrets, nothing from the records. */
export interface SyncRequestReason {
  trigger: 'nango-webhook';
  /** The Nango sync whose run finished. */
  syncName: string;
}

/** A failed Nango sync run, as told by its webhook. */
export interface SyncFailure {
  /** Nango's error type, e.g. `script_error`. */
  type: string;
  description: string;
  syncName: string;
  /** When Nango says the run failed (ISO 8601), if it said. */
  failedAt: string | null;
}

/**
 * What the webhook route asks of the rest of the service. Implemented on the job queue by the worker; every
 * method must return quickly (enqueue and return, never pull inside): Nango gives up on a webhook after 20 s.
 */
export interface WebhookTarget {
  /**
   * Pull the stream from its stored cursor now. Deduplicated per stream, and never overlapping the stream's
   * running job.
   */
  requestSync(stream: StreamKey, reason: SyncRequestReason): Promise<SyncRequestOutcome>;
  /** Nango re-read everything (`checkpoints.from` null): schedule the replace backfill for the stream. */
  requestFullResync(stream: StreamKey, reason: SyncRequestReason): Promise<SyncRequestOutcome>;
  /** Store the failure on the stream so `status` shows it. Nothing is pulled. */
  recordSyncFailure(stream: StreamKey, failure: SyncFailure): Promise<void>;
}
