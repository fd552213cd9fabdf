import { isDeepStrictEqual } from 'node:util';
import type { Kysely } from 'kysely';
import type { NangoStandIn } from '../../stand-in/nango-stand-in.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { type FaultStream, modelTable, streamRows } from './stream-rows.js';

/** How the stored rows differ from the source after the final convergence run. */
export interface SourceDiff {
  /** Source records missing from the table, or stored in another version, payload or deleted state. */
  lost: number;
  /** Rows the source does not have, and live rows of records the source deleted. */
  duplicated: number;
  /** A few examples, for the report. */
  examples: string[];
}

export async function diffAgainstSource(
  db: Kysely<ReplicatorDatabase>,
  standIn: NangoStandIn,
  streams: readonly FaultStream[],
): Promise<SourceDiff> {
  const diff: SourceDiff = { lost: 0, duplicated: 0, examples: [] };
  const note = (text: string) => {
    if (diff.examples.length < 5) diff.examples.push(text);
  };
  for (const stream of streams) {
    const source = standIn.store.snapshot(stream.providerConfigKey, stream.connectionId, stream.model);
    const table = await modelTable(db, stream.model);
    const rows = table === null ? new Map() : await streamRows(db, table, stream, true);
    const name = `${stream.providerConfigKey}/${stream.connectionId}/${stream.model}`.slice(0, 80);
    for (const record of source) {
      const row = rows.get(record.id);
      const deleted = record.deletedAt !== null;
      if (row === undefined) {
        diff.lost++;
        note(`${name} ${record.id}: missing`);
      } else if (row.deleted && !deleted) {
        diff.lost++;
        note(`${name} ${record.id}: deleted in the table, live in the source`);
      } else if (!row.deleted && deleted) {
        diff.duplicated++;
        note(`${name} ${record.id}: live in the table, deleted in the source`);
      } else if (
        row.cursor !== record.cursor ||
        (!deleted && record.prunedAt === null && !isDeepStrictEqual(row.raw, { ...record.payload, id: record.id }))
      ) {
        diff.lost++;
        note(`${name} ${record.id}: another version stored`);
      }
    }
    const ids = new Set(source.map((r) => r.id));
    for (const id of rows.keys()) {
      if (ids.has(id)) continue;
      diff.duplicated++;
      note(`${name} ${id}: a row the source does not have`);
    }
  }
  return diff;
}
