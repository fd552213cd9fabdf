import type { NangoClient } from '../nango/nango-client.js';
import { findModelFields, type ModelField } from '../schema/model-fields.js';
import type { StreamKey } from '../store/stream-key.js';

/**
 * The model's top-level fields and their column types, from `GET /scripts/config` (json_schema first,
 * then the older `models[].fields`). Null when Nango does not describe the model: the table then gets
 * the system columns and `id`, and every value stays in `_nango_raw`.
 */
export async function resolveModelFields(
  nango: NangoClient,
  stream: StreamKey,
  signal?: AbortSignal,
): Promise<ModelField[] | null> {
  const config = await nango.getScriptsConfig({ signal });
  return findModelFields(config, stream.providerConfigKey, stream.model);
}
