import { sql, type Transaction } from 'kysely';
import { hardDeleteStatement, type PageParams, type WrittenCounts, writeRowsStatement } from './page-statements.js';
import type { PreparedPage } from './prepare-page.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { PageWrite } from './page-write.js';

/** What {@link writeRows} did. */
export interface WrittenRows {
  /** Records written (newer-wins: an older version than the stored one is not). */
  upserted: number;
  /** Rows now deleted: written with a deletion, or removed (`deletes: hard`). */
  deleted: number;
  /** Value-error rows written: the values that did not fit, of the versions written. */
  valueErrors: number;
  /** Rows changed: written (soft deletes included) or removed; what the change feed's notification counts. */
  changed: number;
}

/**
 * The page's rows and their value errors: a statement (an upsert, or a plain INSERT for `rows: 'new'`) per
 * `PreparedRows` (prepare-page.ts) in page order, and the hard deletes (which take the removed records' value errors with them).
 */
export async function writeRows(trx: Transaction<ReplicatorDatabase>, write: PageWrite): Promise<WrittenRows> {
  const { prepared, layout, stream, streamId } = write;
  const written: WrittenRows = { upserted: 0, deleted: 0, valueErrors: 0, changed: 0 };
  for (const statement of prepared.statements) {
    const row = await upsert(trx, layout, { ...stream, streamId, ...statement, rows: write.rows }, prepared.payloadsText);
    written.upserted += Number(row?.upserted ?? 0);
    written.changed += Number(row?.upserted ?? 0);
    written.deleted += Number(row?.deleted ?? 0);
    written.valueErrors += Number(row?.value_errors ?? 0);
  }
  if (prepared.hardDeleteJson !== null && prepared.hardDeleteCount > 0) {
    const [row] = (await hardDeleteStatement(layout, { ...stream, streamId }, prepared.hardDeleteJson).execute(trx)).rows;
    written.deleted += Number(row?.deleted ?? 0);
    written.changed += Number(row?.deleted ?? 0);
  }
  return written;
}

/** Records that could not be read: dead letters, kept whole for an operator. */
export async function recordDeadLetters(trx: Transaction<ReplicatorDatabase>, write: PageWrite): Promise<void> {
  if (write.rejected.length > 0) {
    await trx
      .insertInto('nango_replicator.dead_letters')
      .values(
        write.rejected.map((r) => ({
          stream_id: write.streamId,
          reason: r.reason,
          payload: JSON.stringify(r.raw),
          page_cursor: r.pageCursor,
        })),
      )
      .execute();
  }
}

/** The ids a `replace` backfill's pass read (see `PageWrite.notesPass`), written or not. */
export async function notePassRecords(trx: Transaction<ReplicatorDatabase>, write: PageWrite): Promise<void> {
  if (write.ids.size === 0) return;
  await sql`INSERT INTO nango_replicator.pass_records (stream_id, record_id)
    SELECT ${write.streamId}::bigint, unnest(${[...write.ids]}::text[]) ON CONFLICT DO NOTHING`.execute(trx);
}

/**
 * Thrown when Postgres refused payloads sent as Nango's own text (`payloadsText: 'response'`) with a data exception:
 * the text can hold what JSON.stringify would have normalised and Postgres cannot take (a number beyond numeric's
 * range, or too small for a double column). The page's transaction has then failed as a whole;
 * {@link writePlannedPage} writes it again with the payloads as JSON.stringify writes them.
 */
export class ResponseTextRefused extends Error {
  constructor(cause: unknown) {
    super('Postgres refused the page payloads as Nango wrote them', { cause });
  }
}

/**
 * Thrown when a page written as `rows: 'new'` (a plain INSERT) met a record that is stored already: the page's
 * transaction has failed as a whole and {@link writePlannedPage} writes it again as an upsert.
 */
export class RecordsAlreadyStored extends Error {
  constructor(cause: unknown) {
    super('a record of a page written as new is stored already', { cause });
  }
}

async function upsert(
  trx: Transaction<ReplicatorDatabase>,
  layout: PageWrite['layout'],
  params: PageParams,
  payloadsText: PreparedPage['payloadsText'],
): Promise<WrittenCounts | undefined> {
  try {
    return (await writeRowsStatement(layout, params).execute(trx)).rows[0];
  } catch (error) {
    if (payloadsText === 'response' && isDataException(error)) throw new ResponseTextRefused(error);
    // The page's rows are the only rows the statement inserts with a plain INSERT: the value-error rows have ON CONFLICT.
    if (params.rows === 'new' && sqlState(error) === '23505') throw new RecordsAlreadyStored(error);
    throw error;
  }
}

/** SQLSTATE class 22: a value Postgres could not take (bad input syntax, out of range, untranslatable...). */
function isDataException(error: unknown): boolean {
  return sqlState(error)?.startsWith('22') ?? false;
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
