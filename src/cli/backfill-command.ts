import { Queue } from 'bullmq';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { Secret } from '../config/secret.js';
import { describeInfrastructureError } from '../errors/describe-infrastructure-error.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import { type BackfillJobInput, parseBackfillJobData } from '../jobs/backfill/backfill-job-data.js';
import { BACKFILL_JOB, BACKFILL_QUEUE } from '../jobs/queue/queue-names.js';
import type { BackfillSummary } from '../jobs/backfill/summarize-backfill.js';
import { syncJobOptions } from '../jobs/sync/sync-job-options.js';
import { describeBackfillResult, describeBackfillView } from './describe-backfill.js';
import type { Terminal } from './terminal.js';
import { type BackfillView, watchBackfill } from './watch-backfill.js';
import { bullmqConnection } from '../redis-client/bullmq-connection.js';
import { withDeadline } from '../util/with-deadline.js';

export interface BackfillCommandOptions {
  providerConfigKey: string;
  connectionId?: string;
  model?: string;
  /** One sync variant; absent: the plain sync and every variant followed. */
  variant?: string;
  since?: string;
  mode: 'merge' | 'replace';
  force: boolean;
  /** Follow the backfill until it ends; exit non-zero unless every stream succeeded. */
  wait: boolean;
  json: boolean;
}

/** How often `--wait` looks at the backfill, ms. */
const POLL_MS = 500;
/** Without a terminal, a progress line at most this often, ms. */
const PLAIN_LINE_EVERY_MS = 2000;
const REDIS_TIMEOUT_MS = 5000;

/**
 * `nango-replicator backfill`: checks the message as a worker would, adds it to `nango-backfill` (a running worker
 * does the work) and prints the job id. With `--wait` it follows the job: a live status line on a terminal, plain
 * lines otherwise, then the final counts on stdout. Resolves with the exit code: 0 done (or queued), 1 when a
 * stream failed or the circuit breaker refused deletes, 2 for a message that does not fit.
 */
export async function backfillCommand(
  config: ReplicatorConfig,
  options: BackfillCommandOptions,
  io: { stdout: NodeJS.WritableStream; terminal: Terminal; signal: AbortSignal },
): Promise<number> {
  const message: BackfillJobInput = {
    providerConfigKey: options.providerConfigKey,
    ...(options.connectionId === undefined ? {} : { connectionId: options.connectionId }),
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.variant === undefined ? {} : { variant: options.variant }),
    ...(options.since === undefined ? {} : { since: options.since }),
    mode: options.mode,
    ...(options.force ? { force: true } : {}),
  };
  try {
    parseBackfillJobData(message, Date.now());
  } catch (error) {
    if (!(error instanceof ReplicatorError)) throw error;
    io.terminal.write(`error: ${error.message}\n`);
    return 2;
  }
  const bullmq = bullmqConnection(config, 'nango-replicator-cli');
  const queue = new Queue(BACKFILL_QUEUE, { connection: bullmq.connection, prefix: config.queuePrefix });
  let lastError: unknown = null;
  queue.on('error', (error) => (lastError = error)); // reported by ready() below, or by the calls that fail
  try {
    await ready(queue, config.redisUrl, () => lastError);
    const jobOptions = syncJobOptions({ attempts: config.worker.attempts, backoffMs: config.worker.backoffMs });
    const job = await queue.add(BACKFILL_JOB, message, jobOptions);
    const jobId = String(job.id);
    if (!options.json) io.stdout.write(`Backfill ${jobId} queued on ${BACKFILL_QUEUE}: ${describeRequest(options)}\n`);
    if (!options.wait) {
      if (options.json) io.stdout.write(`${JSON.stringify({ jobId, state: 'queued' })}\n`);
      return 0;
    }
    const show = progressDisplay(io.terminal, jobId);
    const watched = await watchBackfill(queue, jobId, { intervalMs: POLL_MS, signal: io.signal, onView: show });
    io.terminal.clearStatus();
    if (watched === null) {
      io.terminal.write(`Stopped watching; backfill ${jobId} goes on in the workers.\n`);
      return 1;
    }
    const failedReason = watched.state === 'failed' ? watched.job.failedReason : null;
    const summary = summaryOf(watched.job, watched.state);
    if (options.json) io.stdout.write(`${JSON.stringify({ jobId, state: watched.state, failedReason, summary })}\n`);
    else io.stdout.write(describeBackfillResult(jobId, { state: watched.state, failedReason, summary }));
    return watched.state === 'completed' && summary !== null && summary.refused === 0 && summary.failed === 0 ? 0 : 1;
  } finally {
    await queue.close();
    await bullmq.close();
  }
}

/** On a terminal one live line; otherwise a plain line when something changed, at most every few seconds. */
function progressDisplay(terminal: Terminal, jobId: string): (view: BackfillView) => void {
  let lastLine = '';
  let lastAt = -Infinity;
  return (view) => {
    const line = describeBackfillView(jobId, view);
    if (terminal.isTTY) return terminal.status(line);
    if (line === lastLine || performance.now() - lastAt < PLAIN_LINE_EVERY_MS) return;
    lastLine = line;
    lastAt = performance.now();
    terminal.write(`${line}\n`);
  };
}

/** The summary: the return value of a completed job; a failed one left it in its progress. */
function summaryOf(job: { returnvalue: unknown; progress: unknown }, state: 'completed' | 'failed'): BackfillSummary | null {
  const candidate = state === 'completed' ? job.returnvalue : job.progress;
  return typeof candidate === 'object' && candidate !== null && 'streams' in candidate ? (candidate as BackfillSummary) : null;
}

function describeRequest(o: BackfillCommandOptions): string {
  const connections = o.connectionId === undefined ? 'every connection' : `connection ${o.connectionId}`;
  const models = o.model === undefined ? 'every model' : `model ${o.model}`;
  const since = o.since === undefined ? '' : `, since ${o.since}`;
  return `${o.providerConfigKey}, ${connections}, ${models}, mode ${o.mode}${since}${o.force ? ', forced' : ''}`;
}

async function ready(queue: Queue, url: Secret, lastError: () => unknown): Promise<void> {
  try {
    await withDeadline(queue.waitUntilReady(), REDIS_TIMEOUT_MS, () => {
      throw new Error(`no answer within ${REDIS_TIMEOUT_MS / 1000} s`);
    });
  } catch (error) {
    // Unreachable or the password refused: the queue's last error event says which.
    const described = describeInfrastructureError(lastError() ?? error, { service: 'redis', url });
    const reason =
      described instanceof ReplicatorError ? described.message : `Redis (REDIS_URL) does not answer: ${(error as Error).message}.`;
    const code = described instanceof ReplicatorError ? described.code : 'redis_unreachable';
    throw new ReplicatorError(code, `${reason} The backfill was not queued.`, {
      retry: described instanceof ReplicatorError ? described.retry : 'transient',
      cause: error,
    });
  }
}
