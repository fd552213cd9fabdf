import pino from 'pino';

/**
 * pino's `err` serializer, except for what the replicator logs on purpose: a ReplicatorError (anything with a
 * `toJSON`) as its code, message, retry and details, and a plain summary object (`{ code, message }`) as it is.
 * pino's own would turn a plain object into `"type":"Object","stack":""`.
 */
export function serializeError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return json.call(value);
  return pino.stdSerializers.err(value);
}
