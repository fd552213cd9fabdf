import { z } from 'zod';
import { formatIssues } from '../../config/format-issues.js';
import { ReplicatorError } from '../../errors/replicator-error.js';
import { syncVariantNameSchema } from '../../stream/sync-variant-schema.js';

/**
 * - `merge`: read the stream from the beginning (or from `since`) and upsert as usual.
 * - `replace`: read everything, then delete the stream's rows the pass did not see (with a circuit breaker).
 */
export const BACKFILL_MODES = ['merge', 'replace'] as const;
export type BackfillMode = (typeof BACKFILL_MODES)[number];

/** Nango refuses a `modified_after` older than this (docs/nango-api.md 1.1: "must be within the last 12 months"), ms. */
export const MODIFIED_AFTER_LOOKBACK_MS = 365 * 24 * 60 * 60 * 1000;

/** An ISO timestamp with `Z` or an offset (`2026-05-01T10:00:00+02:00`), or a date (`2026-05-01`, midnight UTC). */
const sinceSchema = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: 'must be an ISO timestamp such as "2026-05-01T00:00:00Z" (or +02:00), or a date such as "2026-05-01"',
});

const key = z.string().min(1).max(255);

/**
 * The data of a `backfill` job on `nango-backfill`, as any service may send it. Strict: an unknown key is refused,
 * so a producer's typo (`conection`) fails loudly instead of backfilling every connection.
 */
export const backfillJobDataSchema = z
  .strictObject({
    /** The integration's unique key. */
    providerConfigKey: key,
    /** Absent: every connection of the integration (GET /connections). */
    connectionId: key.optional(),
    /** Absent: every model the integration's syncs return (GET /scripts/config). */
    model: key.optional(),
    /** One sync variant (`base`: the plain sync). Absent: the plain sync and every variant followed. */
    variant: syncVariantNameSchema.optional(),
    /** `merge` only: read records modified at or after this instant (Nango's `modified_after`). */
    since: sinceSchema.optional(),
    mode: z.enum(BACKFILL_MODES).default('merge'),
    /** `replace` only: delete unseen rows even above `backfill.maxDeleteFraction`. */
    force: z.boolean().default(false),
    /** Why the backfill was asked for, for the logs (e.g. `cursor_rejected`). */
    reason: z.string().min(1).max(500).optional(),
  })
  .superRefine((data, ctx) => {
    if (data.mode === 'replace' && data.since !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['since'], message: 'cannot be used with mode "replace", which must read every record' });
    }
  });

/** What a producer sends. */
export type BackfillJobInput = z.input<typeof backfillJobDataSchema>;
/** What the processor works with. */
export type BackfillJobData = z.output<typeof backfillJobDataSchema>;

/**
 * Parses a `backfill` message at the door, including the 12-month limit on `since` measured at `nowMs`. A message
 * that does not fit is a terminal error naming every bad field, e.g. `Invalid backfill message: mode: Invalid option`.
 */
export function parseBackfillJobData(data: unknown, nowMs: number): BackfillJobData {
  const result = backfillJobDataSchema.safeParse(data);
  if (!result.success) throw invalidMessage(formatIssues(result.error.issues, data));
  if (result.data.since !== undefined) modifiedAfterOf(result.data.since, nowMs);
  return result.data;
}

/**
 * The instant `since` names, checked against Nango's lookback before anything is sent: Nango answers 400 to a
 * `modified_after` older than 12 months, so such a backfill is refused here with the reason. Sent in UTC `Z` form.
 */
export function modifiedAfterOf(since: string, nowMs: number): Date {
  const instant = new Date(since);
  if (Number.isNaN(instant.getTime())) throw invalidMessage(`since: not a valid instant (got ${JSON.stringify(since)})`);
  if (instant.getTime() < nowMs - MODIFIED_AFTER_LOOKBACK_MS) {
    throw invalidMessage(
      `since: must be within the last 12 months, as Nango refuses an older modified_after (got ${JSON.stringify(since)}); ` +
        'leave it out to read the stream from the beginning',
    );
  }
  return instant;
}

function invalidMessage(detail: string): ReplicatorError {
  return new ReplicatorError('invalid_job_data', `Invalid backfill message: ${detail}`, { retry: 'terminal' });
}
