import type { Logger } from 'pino';
import { errorSummary } from '../errors/error-summary.js';
import type { NangoClient } from '../nango/nango-client.js';
import type { StreamKey } from '../stream/stream-key.js';

/** Prunes in Nango what a run has committed (see {@link pruneAfterCommit}). */
export interface CommittedPruner {
  /**
   * A write has committed, and every write before it too: `position` is Nango's cursor at its end (null: nothing
   * read yet). Returns at once; the prune runs beside the next pages.
   */
  committed(position: string | null): void;
  /** Resolves once no prune is in flight. Never rejects. */
  settle(): Promise<void>;
}

const NOTHING: CommittedPruner = Object.freeze({ committed: () => {}, settle: () => Promise.resolve() });

/**
 * With `nango.pruneAfterCommit` on (see `NangoClient.pruneAfterCommit`), asks Nango after each commit to empty the
 * payloads of the stream up to the committed position (`PATCH /records/prune`, docs/nango-api.md 1.8), so Nango keeps
 * no copy of what the table holds. Off, it does nothing.
 *
 * Only positions the caller says have committed are pruned, and the caller says so in stream order (the write
 * pipeline hands commits over in order, each after the ones before it: `PageWritePipeline`), so a page that rolled
 * back, and anything after it, is never pruned. One prune is in flight at a time; commits meanwhile only move the
 * target, so the next prune covers them all. A prune that fails (Nango down, a key without the scope
 * `environment:records:write`, the run stopping) is logged and left to the next commit, whose position covers it:
 * it never fails the run, and nothing is lost, since the rows committed first.
 */
export function pruneAfterCommit(deps: { nango: NangoClient; logger: Logger }, stream: StreamKey, signal?: AbortSignal): CommittedPruner {
  const prune = deps.nango.pruneRecords?.bind(deps.nango);
  if (deps.nango.pruneAfterCommit !== true || prune === undefined) return NOTHING;
  let target: string | null = null;
  let pruned: string | null = null;
  let running: Promise<void> | null = null;

  const drain = async (): Promise<void> => {
    while (target !== null) {
      const until = target;
      target = null;
      try {
        const result = await prune({ ...stream, untilCursor: until, signal });
        pruned = until;
        deps.logger.debug({ pruned: result.count, requests: result.requests }, 'records pruned in Nango up to the committed cursor');
      } catch (error) {
        // Stopping: the next run's first commit prunes what this one left.
        if (signal?.aborted) deps.logger.debug('prune stopped with the run');
        else deps.logger.warn({ err: errorSummary(error) }, 'could not prune records in Nango; the next committed page tries again');
      }
    }
  };

  const start = (): void => {
    running ??= drain().finally(() => {
      running = null;
      if (target !== null) start(); // a commit that came between the last prune and this line
    });
  };

  return {
    committed(position) {
      if (position === null || position === pruned) return;
      target = position;
      start();
    },
    settle: async () => {
      while (running !== null) await running;
    },
  };
}
