import { z } from 'zod';
import { formatIssues } from '../config/format-issues.js';
import { BASE_VARIANT, type StreamKey } from '../stream/stream-key.js';
import { syncVariantNameSchema } from '../stream/sync-variant-schema.js';

const nonEmpty = z.string().min(1);

/** Every webhook Nango sends has a `type`; only `sync` is acted on (others: `auth`, `forward`, `async_action`, ...). */
const envelopeSchema = z.looseObject({ type: z.string() });

const checkpointsSchema = z.looseObject({ from: z.unknown().optional(), to: z.unknown().optional() });

/** A sync run that succeeded: one webhook per model (docs/nango-api.md 5.1). Unknown fields are allowed. */
export const syncSuccessWebhookSchema = z.looseObject({
  type: z.literal('sync'),
  success: z.literal(true),
  providerConfigKey: nonEmpty,
  connectionId: nonEmpty,
  model: nonEmpty,
  syncName: z.string(),
  /** The sync variant whose records changed; `model` is the base name (REFERENCE 10.2). Absent or null: `base`. */
  syncVariant: syncVariantNameSchema.nullish(),
  /** Omitted or null when the sync does not use checkpoints; `from === null` means a full run. */
  checkpoints: checkpointsSchema.nullish(),
  /** Deprecated: `INITIAL` (a full run), `INCREMENTAL` or `WEBHOOK`. */
  syncType: z.string().optional(),
  modifiedAfter: z.string().optional(),
  responseResults: z.looseObject({ added: z.number(), updated: z.number(), deleted: z.number() }).optional(),
});

/** A sync run that failed: one webhook for all its models, `model` joined by commas. */
export const syncFailureWebhookSchema = z.looseObject({
  type: z.literal('sync'),
  success: z.literal(false),
  providerConfigKey: nonEmpty,
  connectionId: nonEmpty,
  model: nonEmpty,
  syncName: z.string(),
  syncVariant: syncVariantNameSchema.nullish(),
  error: z.looseObject({ type: z.string(), description: z.string() }),
  startedAt: z.string().optional(),
  failedAt: z.string().optional(),
});

export const syncWebhookSchema = z.discriminatedUnion('success', [syncSuccessWebhookSchema, syncFailureWebhookSchema]);

/** What a webhook body asks of the replicator. */
export type NangoWebhook =
  | { kind: 'sync-success'; stream: StreamKey; syncName: string; fullRun: boolean }
  | { kind: 'sync-failure'; streams: StreamKey[]; syncName: string; error: { type: string; description: string }; failedAt: string | null }
  | { kind: 'ignored'; type: string };

export type ParsedWebhook = { ok: true; webhook: NangoWebhook } | { ok: false; problem: string };

/**
 * Parses a (signature-checked, JSON-decoded) webhook body. Unknown `type`s are `ignored`, not errors: Nango
 * adds types without notice. A `sync` body of the wrong shape is a problem naming the bad paths (never their
 * values: an error payload may carry data from the provider).
 */
export function parseNangoWebhook(body: unknown): ParsedWebhook {
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return { ok: false, problem: formatIssues(envelope.error.issues) };
  if (envelope.data.type !== 'sync') return { ok: true, webhook: { kind: 'ignored', type: envelope.data.type } };

  const parsed = syncWebhookSchema.safeParse(body);
  if (!parsed.success) return { ok: false, problem: formatIssues(parsed.error.issues) };
  const sync = parsed.data;
  const base = { providerConfigKey: sync.providerConfigKey, connectionId: sync.connectionId, variant: sync.syncVariant ?? BASE_VARIANT };
  if (sync.success) {
    return {
      ok: true,
      webhook: { kind: 'sync-success', stream: { ...base, model: sync.model }, syncName: sync.syncName, fullRun: isFullRun(sync) },
    };
  }
  const models = [
    ...new Set(
      sync.model
        .split(',')
        .map((m) => m.trim())
        .filter((m) => m !== ''),
    ),
  ];
  if (models.length === 0) return { ok: false, problem: 'model: names no model' };
  return {
    ok: true,
    webhook: {
      kind: 'sync-failure',
      streams: models.map((model) => ({ ...base, model })),
      syncName: sync.syncName,
      error: { type: sync.error.type, description: sync.error.description },
      failedAt: sync.failedAt ?? null,
    },
  };
}

/**
 * A full run re-read everything: `checkpoints.from === null`. Syncs that do not use checkpoints (the field is
 * omitted or null) fall back on the deprecated `syncType`, where a full run is sent as `INITIAL`.
 */
function isFullRun(sync: z.infer<typeof syncSuccessWebhookSchema>): boolean {
  if (sync.checkpoints !== undefined && sync.checkpoints !== null && 'from' in sync.checkpoints) return sync.checkpoints.from === null;
  return sync.syncType === 'INITIAL';
}
