import type { Migration } from 'kysely';
import * as initial from './2026-11-25-0001-initial.js';
import * as lastBackfill from './2026-11-26-0002-last-backfill.js';
import * as runOutcomes from './2026-11-27-0003-run-outcomes.js';
import * as readToEnd from './2026-11-28-0004-read-to-end.js';
import * as valueErrorsView from './2026-12-06-0005-value-errors-view.js';
import * as streamRowCounts from './2026-12-07-0006-stream-row-counts.js';

/**
 * Every migration, in order. Listed statically (rather than read from the folder at run time) so the
 * same list works from the TypeScript sources, from dist/ and from a bundle.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-25-0001-initial': initial,
  '2026-11-26-0002-last-backfill': lastBackfill,
  '2026-11-27-0003-run-outcomes': runOutcomes,
  '2026-11-28-0004-read-to-end': readToEnd,
  '2026-12-06-0005-value-errors-view': valueErrorsView,
  '2026-12-07-0006-stream-row-counts': streamRowCounts,
};
