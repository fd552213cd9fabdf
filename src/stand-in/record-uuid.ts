import { NIL_UUID, uuidV5 } from './uuid-v5.js';

/**
 * Nango's internal record id (REFERENCE 1.3), the tie-breaker of the stream order:
 * `uuid.v5(`${connectionPk}${model}${rawId}`, uuid.v5(`${connectionPk}${model}`, NIL))`.
 * `rawId` is the payload id as saved (before NUL bytes are stripped from the external id).
 */
export function recordUuid(connectionPk: number, model: string, rawId: string): string {
  const namespace = uuidV5(`${connectionPk}${model}`, NIL_UUID);
  return uuidV5(`${connectionPk}${model}${rawId}`, namespace);
}
