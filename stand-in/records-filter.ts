import type { StoredRecord } from './stored-record.js';

/**
 * The `filter` predicate with Nango's `switch (true)` quirks (docs/nango-api.md 1.7): any mix containing
 * both ADDED and UPDATED keeps only live rows; UPDATED+DELETED acts as UPDATED; ADDED+DELETED as
 * ADDED; a value matching no case (e.g. `added,added`) filters nothing.
 */
export function recordsFilter(filter: string | undefined): (row: StoredRecord) => boolean {
  if (!filter) return () => true;
  const f = filter.toUpperCase();
  const isAdded = (row: StoredRecord) => row.deletedAt === null && row.createdAt === row.updatedAt;
  const isUpdated = (row: StoredRecord) => row.deletedAt === null && row.createdAt !== row.updatedAt;
  if (f.includes('ADDED') && f.includes('UPDATED')) return (row) => row.deletedAt === null;
  if (f.includes('UPDATED') && f.includes('DELETED')) return isUpdated;
  if (f.includes('ADDED') && f.includes('DELETED')) return isAdded;
  if (f === 'ADDED') return isAdded;
  if (f === 'UPDATED') return isUpdated;
  if (f === 'DELETED') return (row) => row.deletedAt !== null;
  return () => true;
}
