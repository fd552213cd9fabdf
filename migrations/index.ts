import type { Migration } from 'kysely';
import * as initial from './2026-11-25-0001-initial.js';
import * as lastBackfill from './2026-11-26-0002-last-backfill.js';
import * as runOutcomes from './2026-11-27-0003-run-outcomes.js';
import * as readToEnd from './2026-11-28-0004-read-to-end.js';
import * as valueErrorsView from './2026-12-06-0005-value-errors-view.js';
import * as passRecords from './2026-12-07-0006-pass-records.js';
import * as changeFeed from './2026-12-07-0007-change-feed.js';
import * as history from './2026-12-07-0008-history.js';
import * as adaptivePolling from './2026-12-07-0009-adaptive-polling.js';
import * as streamRowCounts from './2026-12-07-0010-stream-row-counts.js';
import * as syncVariants from './2026-12-07-0011-sync-variants.js';
import * as nangoRecordCount from './2026-12-07-0012-nango-record-count.js';
import * as knownVariants from './2026-12-07-0013-known-variants.js';

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
  '2026-12-07-0006-pass-records': passRecords,
  '2026-12-07-0007-change-feed': changeFeed,
  '2026-12-07-0008-history': history,
  '2026-12-07-0009-adaptive-polling': adaptivePolling,
  '2026-12-07-0010-stream-row-counts': streamRowCounts,
  '2026-12-07-0011-sync-variants': syncVariants,
  '2026-12-07-0012-nango-record-count': nangoRecordCount,
  '2026-12-07-0013-known-variants': knownVariants,
};
