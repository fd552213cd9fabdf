import pg from 'pg';
import type { NangoRecord } from '../src/write/records-page.js';
import type { StreamKey } from '../src/stream/stream-key.js';
import type { TableLayout } from '../src/store/table-layout.js';

/** Records per request in the loop Nango's docs suggest. */
const NAIVE_PAGE_SIZE = 100;

export interface NaivePeerParams {
  databaseUrl: string;
  nangoHost: string;
  secretKey: string;
  stream: StreamKey;
  /** An empty table of the product's layout. */
  layout: TableLayout;
  /** Stop after this many records. */
  sample: number;
}

/**
 * The loop a user would write: fetch a page of 100, then one upsert statement per record (autocommit),
 * until `sample` records are written. No dedup, no cursor bookkeeping, no checks. Returns records and ms.
 */
export async function naivePeer(params: NaivePeerParams): Promise<{ records: number; elapsedMs: number }> {
  const client = new pg.Client({ connectionString: params.databaseUrl, options: '-c TimeZone=UTC' });
  await client.connect();
  try {
    const statement = upsertText(params.layout);
    const started = performance.now();
    let cursor: string | null = null;
    let records = 0;
    // Bounded: at most sample / page size pages, or fewer if the stream ends.
    for (let page = 0; page < Math.ceil(params.sample / NAIVE_PAGE_SIZE); page++) {
      const body = await fetchPage(params, cursor);
      for (const record of body.records) {
        if (records >= params.sample) break;
        await client.query(statement, values(params, record));
        records++;
      }
      cursor = body.next_cursor;
      if (cursor === null || records >= params.sample) break;
    }
    return { records, elapsedMs: performance.now() - started };
  } finally {
    await client.end();
  }
}

async function fetchPage(params: NaivePeerParams, cursor: string | null): Promise<{ records: NangoRecord[]; next_cursor: string | null }> {
  const url = new URL('/records', params.nangoHost);
  url.searchParams.set('model', params.stream.model);
  url.searchParams.set('limit', String(NAIVE_PAGE_SIZE));
  if (cursor !== null) url.searchParams.set('cursor', cursor);
  const response = await fetch(url, {
    headers: {
      Authorization: `Bearer ${params.secretKey}`,
      'Connection-Id': params.stream.connectionId,
      'Provider-Config-Key': params.stream.providerConfigKey,
    },
  });
  if (!response.ok) throw new Error(`GET /records answered ${response.status}`);
  return (await response.json()) as { records: NangoRecord[]; next_cursor: string | null };
}

function upsertText(layout: TableLayout): string {
  const columns = [
    '_nango_provider_config_key',
    '_nango_connection_id',
    'id',
    ...layout.columns.map((c) => c.column),
    '_nango_raw',
    '_nango_last_action',
    '_nango_first_seen_at',
    '_nango_last_modified_at',
    '_nango_deleted_at',
    '_nango_cursor',
    '_nango_synced_at',
  ].map((c) => `"${c}"`);
  const placeholders = columns.map((_, i) => `$${i + 1}`);
  const updates = columns.slice(3).map((c) => `${c} = EXCLUDED.${c}`);
  return `INSERT INTO "${layout.schema}"."${layout.table}" (${columns.join(', ')}) VALUES (${placeholders.join(', ')})
    ON CONFLICT (_nango_provider_config_key, _nango_connection_id, id) DO UPDATE SET ${updates.join(', ')}`;
}

function values(params: NaivePeerParams, record: NangoRecord): unknown[] {
  const { _nango_metadata: meta, ...payload } = record;
  const typed = params.layout.columns.map((c) => {
    const value = record[c.field] ?? null;
    return c.type === 'jsonb' && value !== null ? JSON.stringify(value) : value;
  });
  return [
    params.stream.providerConfigKey,
    params.stream.connectionId,
    record.id,
    ...typed,
    JSON.stringify(payload),
    meta.last_action,
    meta.first_seen_at,
    meta.last_modified_at,
    meta.deleted_at,
    meta.cursor,
    new Date(),
  ];
}
