import type { StreamRule } from '../config/replicator-config.js';
import { dbtFreshness, type DbtFreshness } from './dbt-freshness.js';
import type { CatalogTable } from './list-model-table-catalog.js';

/** The column every table's freshness is measured on: when the replicator last wrote the row. */
export const LOADED_AT_FIELD = '_nango_synced_at';

/** What the system columns hold (they carry no `COMMENT`; the typed columns do). */
const SYSTEM_COLUMNS: Readonly<Record<string, string>> = {
  _nango_provider_config_key: 'Integration unique key in Nango (providerConfigKey); part of the primary key',
  _nango_connection_id: 'Nango connection id; part of the primary key',
  _nango_variant: 'Sync variant the record came from ("base" for the plain model); part of the primary key',
  id: 'Record id in Nango; part of the primary key',
  _nango_raw: 'The record exactly as Nango returned it (every field, also those without a typed column)',
  _nango_last_action: 'What Nango last did to the record: ADDED, UPDATED or DELETED',
  _nango_first_seen_at: 'When Nango first saw the record',
  _nango_last_modified_at: 'When Nango last changed the record (newer versions win)',
  _nango_deleted_at: 'When Nango reported the record deleted; NULL while it exists (soft deletes)',
  _nango_pruned_at: 'When Nango pruned the payload; the stored values are the last ones seen',
  _nango_cursor: "The record's cursor in Nango's stream",
  _nango_synced_at: 'When the replicator last wrote the row (start of the writing transaction)',
  _nango_txid:
    'The id of the transaction that last wrote the row (xid8): the change feed position; NULL for rows written before the feed began',
};

export interface DbtColumn {
  name: string;
  data_type: string;
  description?: string;
}

export interface DbtTable {
  name: string;
  description?: string;
  meta?: { nango_model: string; integrations: string[] };
  loaded_at_field?: string;
  freshness?: DbtFreshness;
  columns: DbtColumn[];
}

export interface DbtSources {
  version: 2;
  sources: Array<{ name: string; schema: string; description: string; tables: DbtTable[] }>;
}

/**
 * The dbt sources file for `tables` (see `listModelTableCatalog`): one source per schema, named after it, one table
 * per model table, every column with its Postgres type and description. A table's freshness follows the longest
 * `every` among the rules that match its streams (the first matching rule of each, as the worker picks it); a table
 * none of whose streams has a rule with `every` gets no freshness block and is named in `notes`. The connections
 * table (`_nango_connections`) is listed with its columns, without freshness. Pure: no I/O.
 */
export function buildDbtSources(
  tables: ReadonlyArray<CatalogTable>,
  rules: ReadonlyArray<StreamRule>,
): { sources: DbtSources; notes: string[] } {
  const notes: string[] = [];
  const bySchema = new Map<string, DbtTable[]>();
  for (const table of tables) {
    if (table.model === null) {
      bySchema.set(table.schema, [...(bySchema.get(table.schema) ?? []), connectionsTable(table)]);
      continue;
    }
    const model = table.model;
    const everyMs = tablePeriod(table, model, rules);
    if (everyMs === null) {
      notes.push(`${table.schema}.${table.table}: no freshness block (no rule under \`streams\` with \`every\` covers its streams)`);
    }
    const entry: DbtTable = {
      name: table.table,
      ...(table.comment === null ? {} : { description: table.comment }),
      meta: { nango_model: model, integrations: table.integrations },
      loaded_at_field: LOADED_AT_FIELD,
      ...(everyMs === null ? {} : { freshness: dbtFreshness(everyMs) }),
      columns: table.columns.map((c) => {
        const description = c.comment ?? SYSTEM_COLUMNS[c.name];
        return { name: c.name, data_type: c.type, ...(description === undefined ? {} : { description }) };
      }),
    };
    bySchema.set(table.schema, [...(bySchema.get(table.schema) ?? []), entry]);
  }
  const sources = [...bySchema].map(([schema, schemaTables]) => ({
    name: schema,
    schema,
    description: 'Records of Nango syncs, one table per model, kept by nango-replicator',
    tables: schemaTables,
  }));
  return { sources: { version: 2, sources }, notes };
}

/** The connections table: its columns; no freshness (a row is written only when the connection changes). */
function connectionsTable(table: CatalogTable): DbtTable {
  return {
    name: table.table,
    ...(table.comment === null ? {} : { description: table.comment }),
    columns: table.columns.map((c) => ({ name: c.name, data_type: c.type, ...(c.comment === null ? {} : { description: c.comment }) })),
  };
}

/** The longest `every` of the first rule matching each of the table's streams, or null when none sets one. */
function tablePeriod(table: CatalogTable, model: string, rules: ReadonlyArray<StreamRule>): number | null {
  let longest: number | null = null;
  for (const stream of table.streams) {
    const rule = rules.find(
      (r) =>
        r.integration === stream.providerConfigKey &&
        (r.models === '*' || r.models.includes(model)) &&
        (r.connections === '*' || r.connections.includes(stream.connectionId)),
    );
    if (rule?.everyMs !== undefined) longest = Math.max(longest ?? 0, rule.everyMs);
  }
  return longest;
}
