import * as z from 'zod';

import { validationErrorReply } from './api-errors.js';
import type { Reply } from './http-reply.js';
import { connectionIdSchema, providerConfigKeySchema, variantSchema } from './records-query.js';
import type { RouteHandler, RouteRequest } from './route-handler.js';
import { MAX_VARIANTS_PER_SYNC } from './sync-variants.js';

const bodySchema = z
  .object({
    provider_config_key: providerConfigKeySchema,
    connection_id: connectionIdSchema,
  })
  .strict();

/** Nango's `syncNameSchema` and `variantSchema` (`helpers/validation.ts`). */
const paramsSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_-]+$/)
      .max(255),
    variant: variantSchema,
  })
  .strict();

type Checked = { body: z.output<typeof bodySchema>; name: string; variant: string } | { reply: Reply };

/**
 * `POST /sync/{name}/variant/{variant}` with `{provider_config_key, connection_id}` (docs/nango-api.md 10.2): 200
 * `{id, name, variant}`. 400 `invalid_body`, `invalid_uri_params` (a name or variant outside `^[a-zA-Z0-9_-]+$`),
 * `invalid_query_params` (any query), `invalid_variant` (`base`, any case), `unknown_connection`, `resource_capped`
 * (the 101st variant of a sync and connection), `sync_variant_already_exists`, `unknown_sync` (not deployed for the
 * integration), in that order, as Nango's `postSyncVariant`.
 */
export const createSyncVariantRoute: RouteHandler = (request, { store }) => {
  const checked = check(request, (variant) => `Variant name "${variant}" is protected.`);
  if ('reply' in checked) return checked.reply;
  const { body, name, variant } = checked;
  const key = body.provider_config_key;
  if (!store.findConnection(key, body.connection_id)) return errorReply('unknown_connection');
  const existing = store.syncVariants.list(key, body.connection_id, name);
  if (existing.length >= MAX_VARIANTS_PER_SYNC) {
    return errorReply('resource_capped', `Maximum number of variants per sync and connection (${MAX_VARIANTS_PER_SYNC}) reached`);
  }
  if (existing.some((v) => v.variant === variant)) return errorReply('sync_variant_already_exists');
  if (!store.listSyncs().some((s) => s.providerConfigKey === key && s.name === name)) return errorReply('unknown_sync');
  const created = store.syncVariants.create(key, body.connection_id, name, variant);
  if (!created) return errorReply('sync_variant_already_exists');
  return { status: 200, body: created };
};

/**
 * `DELETE /sync/{name}/variant/{variant}` (docs/nango-api.md 10.2): soft-deletes the variant's sync, answering 200
 * `{success: true}`; it leaves `/sync/status` while its records stay readable and no tombstone is written. Errors as
 * the creation's, then 404 `not_found` for a variant the connection does not have (Nango's `deleteSyncVariant`).
 */
export const deleteSyncVariantRoute: RouteHandler = (request, { store }) => {
  const checked = check(request, (variant) => `Cannot delete protected variant "${variant}".`);
  if ('reply' in checked) return checked.reply;
  const { body, name, variant } = checked;
  if (!store.findConnection(body.provider_config_key, body.connection_id)) return errorReply('unknown_connection');
  if (!store.syncVariants.delete(body.provider_config_key, body.connection_id, name, variant)) {
    return { status: 404, body: { error: { code: 'not_found' } } };
  }
  return { status: 200, body: { success: true } };
};

function check(request: RouteRequest, protectedMessage: (variant: string) => string): Checked {
  const body = bodySchema.safeParse(request.body);
  if (!body.success) return { reply: validationErrorReply('invalid_body', body.error.issues) };
  const params = paramsSchema.safeParse(request.params ?? {});
  if (!params.success) return { reply: validationErrorReply('invalid_uri_params', params.error.issues) };
  if (Object.keys(request.query).length > 0) {
    return {
      reply: validationErrorReply('invalid_query_params', [{ code: 'unrecognized_keys', message: 'No query string expected', path: [] }]),
    };
  }
  const { name, variant } = params.data;
  if (variant.toLowerCase() === 'base') return { reply: errorReply('invalid_variant', protectedMessage(variant)) };
  return { body: body.data, name, variant };
}

function errorReply(code: string, message?: string): Reply {
  return { status: 400, body: { error: message === undefined ? { code } : { code, message } } };
}
