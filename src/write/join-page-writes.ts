import type { PreparedPage } from './prepare-page.js';
import type { PageWrite } from './page-write.js';

/**
 * Whether a page can be joined after `write` in one transaction: not when `write` removes rows (`deletes: hard`),
 * as its removals run after its rows and would then also run after the next page's, a different order than page
 * by page when a record is removed in one page and written again in the next.
 */
export function canJoinAfter(write: PageWrite): boolean {
  return write.prepared.hardDeleteCount === 0;
}

/**
 * Two consecutive writes of one run as one: the statements of `first`, then those of `next`, in one transaction
 * that expects `first`'s cursor and stores `next`'s. Postgres spends a few milliseconds of CPU on every transaction
 * that wrote a statement of rows, so small pages go together (docs/decisions/0002-page-joining.md); a crash loses
 * the whole write, which the next run reads again. Each statement keeps newer-wins, so a
 * record in both pages ends as the later version, as page by page.
 */
export function joinPageWrites(first: PageWrite, next: PageWrite): PageWrite {
  if (next.runId !== first.runId || next.expectedCursor !== first.cursor || !canJoinAfter(first)) {
    throw new Error('joinPageWrites takes consecutive writes of one run, the first without removals');
  }
  return {
    ...first,
    prepared: joinPrepared(first.prepared, next.prepared),
    rejected: [...first.rejected, ...next.rejected],
    pages: first.pages + next.pages,
    records: first.records + next.records,
    ids: new Set([...first.ids, ...next.ids]),
    cursor: next.cursor,
    rows: first.rows === 'any' || next.rows === 'any' ? 'any' : 'new',
    notesPass: first.notesPass || next.notesPass,
  };
}

function joinPrepared(first: PreparedPage, next: PreparedPage): PreparedPage {
  return {
    statements: [...first.statements, ...next.statements],
    // A refusal of Nango's text rewrites every statement with JSON.stringify's, which reads the same for those
    // already written that way.
    payloadsText: first.payloadsText === 'response' || next.payloadsText === 'response' ? 'response' : 'stringify',
    payloadBytes: first.payloadBytes + next.payloadBytes,
    hardDeleteJson: next.hardDeleteJson,
    hardDeleteCount: next.hardDeleteCount,
    nulRemoved: first.nulRemoved + next.nulRemoved,
    newestModifiedAt: later(first.newestModifiedAt, next.newestModifiedAt),
  };
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) > Date.parse(b) ? a : b;
}
