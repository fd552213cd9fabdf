import { z } from 'zod';
import { formatIssues } from '../../config/format-issues.js';
import { ReplicatorError } from '../../errors/replicator-error.js';
import type { StreamKey } from '../../stream/stream-key.js';
import { syncVariantSchema } from '../../stream/sync-variant-schema.js';

/** Why a sync job exists. Informational: every job syncs its stream from the stored cursor. */
export const SYNC_TRIGGERS = ['schedule', 'continuation', 'webhook', 'manual', 'follow-up'] as const;

/**
 * The data of a job on the `nango-sync` queue. Strict: an unknown key is refused, so a producer's typo fails
 * loudly instead of syncing the wrong stream.
 */
export const syncJobDataSchema = z.strictObject({
  providerConfigKey: z.string().min(1).max(255),
  connectionId: z.string().min(1).max(255),
  model: z.string().min(1).max(255),
  /** The sync variant; absent (a message from before variants): `base`. */
  variant: syncVariantSchema,
  trigger: z.enum(SYNC_TRIGGERS).default('manual'),
  /**
   * A scheduled job's period and safety net, ms (see `src/schedule/`); also on the pull that reads a newly scheduled
   * stream, whose read stores them; absent on other jobs.
   */
  everyMs: z.number().int().positive().optional(),
  safetyNetMs: z.number().int().positive().optional(),
});

/** What a producer sends. */
export type SyncJobInput = z.input<typeof syncJobDataSchema>;
/** What a processor works with, after parsing. */
export type SyncJobData = z.output<typeof syncJobDataSchema>;

/**
 * Parses job data at the door. A job that does not fit fails with a terminal error naming every bad field, e.g.
 * `Invalid job data: connectionId: Invalid input: expected string, received undefined`.
 */
export function parseSyncJobData(data: unknown): SyncJobData {
  const result = syncJobDataSchema.safeParse(data);
  if (result.success) return result.data;
  throw new ReplicatorError('invalid_job_data', `Invalid job data: ${formatIssues(result.error.issues, data)}`, {
    retry: 'terminal',
  });
}

/** The stream a job is about. */
export function streamOf(data: SyncJobData): StreamKey {
  return { providerConfigKey: data.providerConfigKey, connectionId: data.connectionId, model: data.model, variant: data.variant };
}
