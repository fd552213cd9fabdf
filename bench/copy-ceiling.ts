import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { NangoRecord } from '../src/write/records-page.js';
import { cpuMsSince } from './cpu-ms-since.js';
import { postgresCpuMs, postgresSince } from './postgres-cpu.js';
import type { StreamKey } from '../src/stream/stream-key.js';
import type { MappedColumn, TableLayout } from '../src/store/table-layout.js';

/** Rows per chunk written to the COPY stream. */
const ROWS_PER_CHUNK = 500;
const SYSTEM_TAIL = [
  '_nango_raw',
  '_nango_last_action',
  '_nango_first_seen_at',
  '_nango_last_modified_at',
  '_nango_deleted_at',
  '_nango_pruned_at',
  '_nango_cursor',
  '_nango_synced_at',
];

/**
 * The ceiling: the same rows (typed columns plus `_nango_raw` and the system columns), already in memory,
 * encoded in Node as COPY text and streamed into an empty table of the same layout in one COPY. No dedup,
 * no checks, no conflicts: only what any writer must do. Returns the elapsed ms of encoding plus COPY, the
 * CPU ms of the local Postgres processes meanwhile (null if unreadable, see postgres-cpu.ts) and of this process.
 */
export async function copyCeiling(
  databaseUrl: string,
  layout: TableLayout,
  stream: StreamKey,
  records: ReadonlyArray<NangoRecord>,
): Promise<{ elapsedMs: number; postgresCpuMs: number | null; benchCpuMs: number }> {
  const client = new pg.Client({ connectionString: databaseUrl, options: '-c TimeZone=UTC' });
  await client.connect();
  try {
    const columns = ['_nango_provider_config_key', '_nango_connection_id', 'id', ...layout.columns.map((c) => c.column), ...SYSTEM_TAIL];
    const target = `${quote(layout.schema)}.${quote(layout.table)} (${columns.map(quote).join(', ')})`;
    const postgresBefore = postgresCpuMs();
    const benchCpu = process.cpuUsage();
    const started = performance.now();
    const copy = client.query(copyFrom(`COPY ${target} FROM STDIN`));
    await pipeline(Readable.from(chunks(layout.columns, stream, records)), copy);
    if (copy.rowCount !== records.length) throw new Error(`COPY wrote ${copy.rowCount} of ${records.length} rows`);
    const elapsedMs = performance.now() - started;
    return { elapsedMs, postgresCpuMs: postgresSince(postgresBefore), benchCpuMs: cpuMsSince(benchCpu) };
  } finally {
    await client.end();
  }
}

function* chunks(columns: ReadonlyArray<MappedColumn>, stream: StreamKey, records: ReadonlyArray<NangoRecord>) {
  const prefix = `${escape(stream.providerConfigKey)}\t${escape(stream.connectionId)}\t`;
  const syncedAt = new Date().toISOString();
  let chunk = '';
  for (let index = 0; index < records.length; index++) {
    chunk += line(prefix, columns, records[index] as NangoRecord, syncedAt);
    if ((index + 1) % ROWS_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

function line(prefix: string, columns: ReadonlyArray<MappedColumn>, record: NangoRecord, syncedAt: string): string {
  const { _nango_metadata: meta, ...payload } = record;
  let text = prefix + escape(record.id);
  for (const column of columns) text += `\t${field(column, record[column.field])}`;
  text += `\t${escape(JSON.stringify(payload))}\t${meta.last_action}\t${meta.first_seen_at}\t${meta.last_modified_at}`;
  text += `\t${meta.deleted_at ?? '\\N'}\t${meta.pruned_at ?? '\\N'}\t${escape(meta.cursor)}\t${syncedAt}\n`;
  return text;
}

function field(column: MappedColumn, value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  switch (column.type) {
    case 'text':
    case 'timestamptz':
      return escape(value as string);
    case 'bigint':
    case 'double precision':
      return String(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'jsonb':
      return escape(JSON.stringify(value));
  }
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** COPY text format: backslash, tab, newline and carriage return are escaped. */
function escape(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c] as string) : value;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
