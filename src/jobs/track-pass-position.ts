import type { NangoClient } from '../nango/nango-client.js';
import type { RecordsPage } from '../nango/nango-record.js';

/** A client for one pass, and the position of the pass's pages as they commit. */
export interface TrackedPass {
  nango: NangoClient;
  /**
   * Call once per committed page, in order (`replicateStream`'s `onProgress`): the Nango cursor at the end of that
   * page, i.e. where the pass would continue if it stopped now; `from` until a page with records has committed.
   */
  committed(): string | null;
}

/**
 * Wraps `nango` for one full pass (`replicateStream` with `full`, which reads from the beginning) that continues an
 * earlier pass stopped at cursor `from`: the read starts after `from` instead (null: from the beginning, unchanged).
 * The end of every page read is remembered, so as pages commit, in the order they were read, the caller learns
 * how far the pass has committed. Only the page's end cursor is kept, never the page.
 */
export function trackPassPosition(nango: NangoClient, from: string | null): TrackedPass {
  const ends: Array<string | null> = [];
  let read = from;
  let committed = from;
  const note = (page: RecordsPage) => {
    read = page.endCursor ?? read; // an empty page ends where the previous one did
    ends.push(read);
  };
  return {
    nango: {
      ...nango,
      listRecords(params) {
        const pages = nango.listRecords({ ...params, cursor: params.cursor ?? from });
        return {
          async next() {
            const result = await pages.next();
            if (result.done !== true) note(result.value);
            return result;
          },
          return: (value) => pages.return(value),
          throw: (error) => pages.throw(error),
          [Symbol.asyncIterator]() {
            return this;
          },
        };
      },
    },
    committed() {
      committed = ends.shift() ?? committed;
      return committed;
    },
  };
}
