import { createHash } from 'node:crypto';
import { z } from 'zod';
import { formatIssues } from '../../config/format-issues.js';
import { ReplicatorError } from '../../errors/replicator-error.js';
import { BASE_VARIANT, type StreamKey } from '../../stream/stream-key.js';
import { syncVariantSchema } from '../../stream/sync-variant-schema.js';
import { BACKFILL_MODES } from './backfill-job-data.js';

/**
 * The data of a `backfill-stream` job: one stream of a backfill, added by the `backfill` job as its child. Written
 * by the replicator itself, but parsed all the same (a job may outlive a deploy that changed its shape).
 */
export const backfillStreamJobDataSchema = z.strictObject({
  providerConfigKey: z.string().min(1).max(255),
  connectionId: z.string().min(1).max(255),
  model: z.string().min(1).max(255),
  /** The sync variant; absent (a job from before variants): `base`. */
  variant: syncVariantSchema,
  mode: z.enum(BACKFILL_MODES),
  /** `modified_after` in UTC `Z` form; checked again against the 12-month limit right before it is sent. */
  since: z.iso.datetime().optional(),
  force: z.boolean(),
});

export type BackfillStreamJobData = z.output<typeof backfillStreamJobDataSchema>;
/** What the `backfill` job sends (`variant` absent for the base variant). */
export type BackfillStreamJobInput = z.input<typeof backfillStreamJobDataSchema>;

export function parseBackfillStreamJobData(data: unknown): BackfillStreamJobData {
  const result = backfillStreamJobDataSchema.safeParse(data);
  if (result.success) return result.data;
  throw new ReplicatorError('invalid_job_data', `Invalid backfill-stream job data: ${formatIssues(result.error.issues, data)}`, {
    retry: 'terminal',
  });
}

/** The stream a job is about. */
export function backfillStreamOf(data: BackfillStreamJobData): StreamKey {
  return { providerConfigKey: data.providerConfigKey, connectionId: data.connectionId, model: data.model, variant: data.variant };
}

/**
 * The id of the child job reading `stream` for backfill `parentJobId`: deterministic, so a parent that runs twice
 * (a stalled worker) adds each child once. `backfill/<hash of parent id>/<integration>/<connection>/<model>`, plus
 * `/<variant>` for a variant other than base, each part percent-encoded, so no `:` (reserved by BullMQ) appears and the stream can be read back from the id.
 */
export function backfillStreamJobId(parentJobId: string, stream: StreamKey): string {
  const parent = createHash('sha256').update(parentJobId).digest('hex').slice(0, 16);
  const parts = [stream.providerConfigKey, stream.connectionId, stream.model];
  if (stream.variant !== BASE_VARIANT) parts.push(stream.variant);
  return `backfill/${parent}/${parts.map(encodeURIComponent).join('/')}`;
}

/** The stream named by a child job's id or BullMQ key (`<prefix>:nango-backfill:<id>`), or null if not one of ours. */
export function streamOfBackfillJobKey(key: string): StreamKey | null {
  const id = key.slice(key.lastIndexOf(':') + 1);
  const parts = id.split('/');
  if ((parts.length !== 5 && parts.length !== 6) || parts[0] !== 'backfill') return null;
  try {
    const [providerConfigKey, connectionId, model, variant = BASE_VARIANT] = parts.slice(2).map(decodeURIComponent) as [
      string,
      string,
      string,
      string | undefined,
    ];
    return { providerConfigKey, connectionId, model, variant };
  } catch {
    return null; // not percent-encoding we produced
  }
}
