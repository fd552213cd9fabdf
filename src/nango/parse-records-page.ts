import { ReplicatorError } from '../errors/replicator-error.js';
import type { NangoRecord, RecordsPage, RejectedRecord } from '../write/records-page.js';

const ACTIONS = new Set(['ADDED', 'UPDATED', 'DELETED']);

/**
 * Parses a `GET /records` body. The envelope must be right or the page is refused (a transient error:
 * a proxy may have mangled it). A record whose id or metadata is unusable is set aside as rejected,
 * with the reason naming the path, so one bad record never blocks the stream nor vanishes.
 *
 * Hand-written rather than zod because it runs once per record on the hot path and must not copy
 * payloads; the checks are the same a schema would make.
 */
export function parseRecordsPage(body: unknown): RecordsPage {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidResponse('the body is not a JSON object');
  }
  const { next_cursor: nextCursor, records } = body as { next_cursor?: unknown; records?: unknown };
  if (nextCursor !== null && typeof nextCursor !== 'string') {
    throw invalidResponse('next_cursor: expected a string or null');
  }
  if (!Array.isArray(records)) throw invalidResponse('records: expected an array');

  const valid: NangoRecord[] = [];
  const rejected: RejectedRecord[] = [];
  for (let index = 0; index < records.length; index++) {
    const raw: unknown = records[index];
    const problem = recordProblem(raw);
    if (problem === null) valid.push(raw as NangoRecord);
    else rejected.push({ index, reason: `records[${index}]${problem}`, raw });
  }
  return { records: valid, rejected, nextCursor, endCursor: endCursor(records) };
}

function endCursor(records: unknown[]): string | null {
  for (let index = records.length - 1; index >= 0; index--) {
    const meta = (records[index] as { _nango_metadata?: { cursor?: unknown } } | null)?._nango_metadata;
    if (typeof meta?.cursor === 'string' && meta.cursor.length > 0) return meta.cursor;
  }
  return null;
}

function recordProblem(raw: unknown): string | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return ': expected an object';
  const record = raw as Record<string, unknown>;
  if (typeof record.id !== 'string' || record.id.length === 0) return '.id: expected a non-empty string';
  const meta = record._nango_metadata as Record<string, unknown> | undefined;
  if (meta === null || typeof meta !== 'object') return '._nango_metadata: expected an object';
  if (typeof meta.cursor !== 'string' || meta.cursor.length === 0) return '._nango_metadata.cursor: expected a string';
  if (!isTimestamp(meta.last_modified_at)) return '._nango_metadata.last_modified_at: expected a timestamp';
  if (!isTimestamp(meta.first_seen_at)) return '._nango_metadata.first_seen_at: expected a timestamp';
  if (typeof meta.last_action !== 'string' || !ACTIONS.has(meta.last_action)) {
    return '._nango_metadata.last_action: expected ADDED, UPDATED or DELETED';
  }
  if (meta.deleted_at != null && !isTimestamp(meta.deleted_at)) return '._nango_metadata.deleted_at: expected a timestamp or null';
  if (meta.pruned_at != null && !isTimestamp(meta.pruned_at)) return '._nango_metadata.pruned_at: expected a timestamp or null';
  return null;
}

// Postgres to_json(timestamptz): 2024-03-04T06:59:51.471441-05:00, fraction optional, any offset.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)$/;

function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && TIMESTAMP.test(value);
}

function invalidResponse(problem: string): ReplicatorError {
  return new ReplicatorError('nango_invalid_response', `Nango sent a records page that cannot be read: ${problem}.`, {
    retry: 'transient',
  });
}
