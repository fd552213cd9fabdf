import type { NangoClient } from '../nango/nango-client.js';
import type { ScriptsConfigCache } from '../nango/scripts-config-cache.js';
import { findModelFields, type ModelField } from '../schema/model-fields.js';
import type { StreamKey } from '../stream/stream-key.js';

/**
 * The model's top-level fields and their column types, from `GET /scripts/config` (json_schema first, then the
 * older `models[].fields`). Null when Nango does not describe the model: the table then gets the system columns and
 * `id`, and every value stays in `_nango_raw`. `signal` stops the caller's wait.
 */
export type ModelFieldsLookup = (stream: StreamKey, signal?: AbortSignal) => Promise<ModelField[] | null>;

/** For a worker: from the process's scripts config cache (one request per period, however many jobs ask). */
export function cachedModelFields(scriptsConfig: ScriptsConfigCache): ModelFieldsLookup {
  return async (stream, signal) => findModelFields(await scriptsConfig.get({ signal }), stream.providerConfigKey, stream.model);
}

/** For a one-shot command: one request to Nango per lookup. */
export function directModelFields(nango: NangoClient): ModelFieldsLookup {
  return async (stream, signal) => findModelFields(await nango.getScriptsConfig({ signal }), stream.providerConfigKey, stream.model);
}
