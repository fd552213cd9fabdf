import assert from 'node:assert/strict';
import { type Job, Queue } from 'bullmq';
import { sql } from 'kysely';
import { BACKFILL_QUEUE } from '../../src/jobs/queue/queue-names.js';
import type { StreamKey } from '../../src/stream/stream-key.js';
import { REDIS_URL, waitUntil, type WorkerFleet } from './worker-fleet.js';

/** The `nango-backfill` queue as the fleet's workers see it (the fleet's `close` deletes its keys). */
export function openBackfillQueue(fleet: Pick<WorkerFleet, 'queuePrefix'>): Queue {
  return new Queue(BACKFILL_QUEUE, { connection: { url: REDIS_URL }, prefix: fleet.queuePrefix });
}

/** Waits until the job is completed or failed, and returns it as stored then. */
export async function settled(queue: Queue, jobId: string, timeoutMs = 60_000): Promise<Job> {
  return waitUntil(async () => {
    const job = await queue.getJob(jobId);
    assert.ok(job, `job ${jobId} does not exist`);
    const state = await job.getState();
    assert.ok(state === 'completed' || state === 'failed', `job ${jobId} is ${state}`);
    // Read again: the first read may predate the move to its final state.
    const final = await queue.getJob(jobId);
    assert.ok(final);
    return final;
  }, timeoutMs);
}

/** Adds a `backfill` message and waits until it has settled. */
export async function backfill(queue: Queue, data: Record<string, unknown>, timeoutMs?: number): Promise<Job> {
  const job = await queue.add('backfill', data);
  return settled(queue, String(job.id), timeoutMs);
}

/** The stream's row in `nango_replicator.streams`: its cursor and last backfill. */
export async function streamRow(fleet: Pick<WorkerFleet, 'db'>, stream: StreamKey) {
  const { rows } = await sql<{ cursor: string | null; last_backfill: Record<string, unknown> | null }>`
    SELECT cursor, last_backfill FROM nango_replicator.streams
    WHERE provider_config_key = ${stream.providerConfigKey} AND connection_id = ${stream.connectionId} AND model = ${stream.model}`.execute(
    fleet.db,
  );
  return rows[0];
}
