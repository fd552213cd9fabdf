import type { Kysely } from 'kysely';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';

/** `metrics.perStream: auto` keeps series per stream up to this many streams. */
export const AUTO_PER_STREAM_MAX_STREAMS = 500;

/** `metrics.perStream` as a yes or no: `auto` counts the streams known now (one count of a table of one row per stream). */
export async function resolvePerStream(db: Kysely<ReplicatorDatabase>, setting: boolean | 'auto'): Promise<boolean> {
  if (setting !== 'auto') return setting;
  const { n } = await db
    .selectFrom('nango_replicator.streams')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n) <= AUTO_PER_STREAM_MAX_STREAMS;
}
