import { ReplicatorError } from '../../errors/replicator-error.js';
import type { ReplicatorMetrics } from '../../metrics/create-replicator-metrics.js';
import { pageMetricsRecorder } from '../../metrics/page-metrics-recorder.js';
import { errorSummary } from '../../errors/error-summary.js';
import { type ReplicateDeps, type ReplicateOptions, replicateStream, type ReplicateSummary } from '../../replicate/replicate-stream.js';
import type { ModelField } from '../../schema/model-fields.js';
import type { StreamKey } from '../../stream/stream-key.js';
import type { ProgressReporter } from './backfill-progress.js';
import { addTotals, NO_TOTALS } from '../../write/totals.js';
import type { BackfillResumePoint } from './backfill-resume-point.js';

export interface ReadBackfillPassDeps extends ReplicateDeps {
  /** Per-stream page counters; optional so a test can leave them out. */
  metrics?: ReplicatorMetrics;
}

/** How the pass writes pages (see `ReplicateOptions`). */
export type ReadBackfillPassSettings = Pick<ReplicateOptions, 'schema' | 'deletes' | 'fillfactor' | 'pageSize'> & {
  history?: (stream: StreamKey) => boolean;
};

export interface BackfillPass {
  stream: StreamKey;
  fields: ModelField[] | null;
  modifiedAfter: Date | undefined;
  /** The start of the pass's first attempt, stored with every position reported. */
  passStartedAt: Date;
  /** A `replace` pass: the ids it reads are noted, so its end deletes only what it did not see. */
  replace: boolean;
  progress: ProgressReporter;
}

/**
 * Reads a backfill pass to the stream's end, or until stopped: after `resumed` (null: from the beginning), or from
 * the beginning when Nango rejects that position (nothing of this attempt committed then). On a failure the
 * position reached so far is flushed to the job's progress before the error is rethrown. Returns the pass's
 * totals, those of earlier attempts included.
 */
export async function readBackfillPass(
  deps: ReadBackfillPassDeps,
  settings: ReadBackfillPassSettings,
  pass: BackfillPass & { resumed: BackfillResumePoint | null },
  stop: AbortSignal,
): Promise<ReplicateSummary> {
  const read = (from: BackfillResumePoint | null) =>
    readFrom(deps, settings, { ...pass, from }, stop).catch(async (error: unknown) => {
      await pass.progress.flush(); // the position reached so far, for the next attempt
      throw error;
    });
  try {
    return await read(pass.resumed);
  } catch (error) {
    if (pass.resumed === null || !(error instanceof ReplicatorError) || error.code !== 'cursor_rejected') throw error;
    // Nango no longer accepts the position: nothing of this attempt committed; read the whole stream instead.
    deps.logger.warn(
      { err: errorSummary(error) },
      'Nango rejects the position the backfill reached; it reads the stream from the beginning',
    );
    return await read(null);
  }
}

/**
 * Reads the stream from `from` (null: the beginning) to its end, or until stopped, reporting the pass's totals
 * (with those of earlier attempts) and its position after every committed page. Returns the pass's totals.
 */
async function readFrom(
  deps: ReadBackfillPassDeps,
  settings: ReadBackfillPassSettings,
  pass: BackfillPass & { from: BackfillResumePoint | null },
  stop: AbortSignal,
): Promise<ReplicateSummary> {
  const earlier = pass.from?.totals ?? NO_TOTALS;
  const pageMetrics = deps.metrics ? pageMetricsRecorder(deps.metrics, pass.stream) : undefined;
  const summary = await replicateStream(
    { db: deps.db, nango: deps.nango, modelFields: deps.modelFields, logger: deps.logger },
    {
      stream: pass.stream,
      schema: settings.schema,
      deletes: settings.deletes,
      fillfactor: settings.fillfactor,
      pageSize: settings.pageSize,
      fields: pass.fields,
      full: true,
      notesPass: pass.replace,
      history: settings.history?.(pass.stream),
      fullFrom: pass.from?.cursor ?? null,
      modifiedAfter: pass.modifiedAfter,
      kind: 'backfill',
      signal: stop,
      onProgress: (p, position) => {
        const totals = addTotals(earlier, p);
        const passPosition = position === null ? undefined : { passStartedAt: pass.passStartedAt.toISOString(), cursor: position, totals };
        pass.progress.page(totals, passPosition);
        pageMetrics?.(p);
      },
    },
  );
  return { ...summary, ...addTotals(earlier, summary) };
}
