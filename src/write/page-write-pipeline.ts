import type { Kysely } from 'kysely';
import { type CommitOrder, turnKey } from './commit-order.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { PageWrite } from './page-write.js';
import { type PageResult, writePlannedPage } from './write-page.js';

interface InFlight {
  done: Promise<PageResult>;
  bytes: number;
  turn: NonNullable<CommitOrder['previous']>;
  ids: ReadonlySet<string>;
  last: boolean;
}

/** How much the pipeline may have in flight. */
export interface PipelineLimits {
  /** Pages written at once, at least 1. */
  depth: number;
  /** Page text (the JSON sent to Postgres) in flight at once, in bytes; a larger page still goes alone. */
  maxBytes: number;
}

/**
 * Writes up to `depth` pages (and `maxBytes` of page text) at once, each in its own transaction, while committing
 * their cursors strictly in stream order: a page's transaction writes its rows at once but sets the cursor and
 * commits only after the page before it has committed, and rolls back if that one failed (see `writePlannedPage`
 * and `CommitOrder`).
 *
 * A page that shares a record id with a page in flight waits for it to commit first, so concurrent page
 * transactions never touch the same rows and cannot block one another. Results are handed to `onCommit` in
 * order, one per committed page.
 */
export class PageWritePipeline {
  readonly #db: Kysely<ReplicatorDatabase>;
  readonly #limits: PipelineLimits;
  readonly #onCommit: (result: PageResult, last: boolean) => void;
  #inFlight: InFlight[] = [];
  #submitted = 0;

  constructor(db: Kysely<ReplicatorDatabase>, options: PipelineLimits & { onCommit: (result: PageResult, last: boolean) => void }) {
    this.#db = db;
    this.#limits = { depth: Math.max(1, options.depth), maxBytes: options.maxBytes };
    this.#onCommit = options.onCommit;
  }

  /**
   * Starts writing `write` (the last page of the stream if `last`) once there is room for it. Resolves when it
   * is under way; rejects with the first failure of a page before it (every page in flight has then settled).
   */
  async submit(write: PageWrite, last: boolean): Promise<void> {
    const bytes = write.prepared.payloadBytes;
    // Bounded: each turn commits one of the (at most `depth`) pages in flight.
    while (this.#full(bytes) || this.#overlaps(write.ids)) await this.#commitOldest();
    this.#submitted += 1;
    let onHeld = () => {};
    const held = new Promise<void>((resolve) => (onHeld = resolve));
    const order: CommitOrder = { key: turnKey(write.runId, this.#submitted), onHeld, previous: this.#inFlight.at(-1)?.turn };
    const done = writePlannedPage(this.#db, write, order);
    // Observed in order by #commitOldest; this keeps a failure that is not awaited yet from being unhandled.
    done.catch(() => {});
    const settled = done.then(
      () => {},
      () => {},
    );
    this.#inFlight.push({ done, bytes, turn: { key: order.key, held: Promise.race([held, settled]), done }, ids: write.ids, last });
  }

  /**
   * Resolves once a page of `bytes` of page text could start at once (committing the oldest pages meanwhile), so a
   * caller can leave the next page unread until then. Rejects like {@link submit}.
   */
  async whenRoom(bytes: number): Promise<void> {
    while (this.#full(bytes)) await this.#commitOldest();
  }

  /** Waits for every page in flight, in order. Rejects with the first failure, once all have settled. */
  async drain(): Promise<void> {
    while (this.#inFlight.length > 0) await this.#commitOldest();
  }

  async #commitOldest(): Promise<void> {
    const oldest = this.#inFlight[0];
    if (oldest === undefined) return;
    let result: PageResult;
    try {
      result = await oldest.done;
    } catch (error) {
      // Every later page waits for this one and rolls back; let them finish before reporting.
      await Promise.allSettled(this.#inFlight.map((entry) => entry.done));
      this.#inFlight = [];
      throw error;
    }
    this.#inFlight.shift();
    this.#onCommit(result, oldest.last);
  }

  #full(bytes: number): boolean {
    if (this.#inFlight.length === 0) return false;
    const inFlightBytes = this.#inFlight.reduce((sum, entry) => sum + entry.bytes, 0);
    return this.#inFlight.length >= this.#limits.depth || inFlightBytes + bytes > this.#limits.maxBytes;
  }

  #overlaps(ids: ReadonlySet<string>): boolean {
    for (const entry of this.#inFlight) {
      const [small, large] = entry.ids.size <= ids.size ? [entry.ids, ids] : [ids, entry.ids];
      for (const id of small) if (large.has(id)) return true;
    }
    return false;
  }
}
