import type { ExpressionBuilder } from 'kysely';
import type { ReplicatorDatabase, StreamsTable } from './replicator-tables.js';

/**
 * The latest run of stream `s` (by start, then id), as a lateral subquery named `last_run` with its kind, status,
 * times and records read: `.leftJoinLateral(latestRun, (join) => join.onTrue())` on `streams as s`.
 */
export function latestRun(eb: ExpressionBuilder<ReplicatorDatabase & { s: StreamsTable }, 's'>) {
  return eb
    .selectFrom('nango_replicator.runs as r')
    .select(['r.kind', 'r.status', 'r.started_at', 'r.finished_at', 'r.records'])
    .whereRef('r.stream_id', '=', 's.id')
    .orderBy('r.started_at', 'desc')
    .orderBy('r.id', 'desc')
    .limit(1)
    .as('last_run');
}
