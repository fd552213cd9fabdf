import { randomUUID } from 'node:crypto';
import { mulberry32 } from '../stand-in/mulberry32.js';
import { type NangoStandIn, startNangoStandIn } from '../stand-in/nango-stand-in.js';
import { renderRecordJson } from '../stand-in/render-record-json.js';
import { makeGithubIssue, seedGithubDemo } from '../stand-in/sample-data.js';
import type { StreamKey } from '../src/stream/stream-key.js';

/** The stream every scenario replicates. */
export const BENCH_STREAM: StreamKey = { providerConfigKey: 'github', connectionId: 'bench', model: 'GithubIssue', variant: 'base' };

/** Records per Nango write transaction when seeding: records of one batch share an updated_at (ties). */
const SEED_BATCH = 100;

/** A stand-in holding `records` GitHub issues in {@link BENCH_STREAM}, and the means to change them all. */
export interface BenchStandIn {
  standIn: NangoStandIn;
  secretKey: string;
  records: number;
  /** Saves a new version of every record (every field redrawn), so each moves to the end of the stream. */
  changeAll(round: number): void;
  /** Requests received so far: all, and `GET /records` only. */
  requestCounts(): { all: number; records: number; tooManyRequests: number };
  close(): Promise<void>;
}

export async function startBenchStandIn(options: { records: number; requestsPerMinute?: number }): Promise<BenchStandIn> {
  const secretKey = randomUUID();
  const standIn = await startNangoStandIn({
    secretKey,
    rateLimit: options.requestsPerMinute === undefined ? null : { requestsPerMinute: options.requestsPerMinute },
  });
  seedGithubDemo(standIn.store, {
    providerConfigKey: BENCH_STREAM.providerConfigKey,
    connections: [BENCH_STREAM.connectionId],
    recordsPerConnection: options.records,
    batchSize: SEED_BATCH,
  });
  renderAll(standIn);
  return {
    standIn,
    secretKey,
    records: options.records,
    changeAll(round) {
      const rng = mulberry32(1_000 + round);
      for (let start = 1; start <= options.records; start += SEED_BATCH) {
        const end = Math.min(start + SEED_BATCH - 1, options.records);
        const batch = [];
        for (let n = start; n <= end; n++) batch.push(makeGithubIssue(n, rng));
        standIn.store.save(BENCH_STREAM.providerConfigKey, BENCH_STREAM.connectionId, BENCH_STREAM.model, batch);
      }
      renderAll(standIn);
    },
    requestCounts() {
      let records = 0;
      for (const request of standIn.requests) if (request.path === '/records') records++;
      return { all: standIn.requests.length, records, tooManyRequests: standIn.stats.tooManyRequests };
    },
    close: () => standIn.close(),
  };
}

/**
 * Renders every record of the stream once, outside any timed run: a real Nango stores a record's JSON when the
 * record is written, and serving it is then a read, so no timed sync should pay for the stand-in's first rendering
 * (nor for collecting what writing the records left behind).
 */
function renderAll(standIn: NangoStandIn): void {
  const connection = standIn.store.findConnection(BENCH_STREAM.providerConfigKey, BENCH_STREAM.connectionId);
  if (!connection) return;
  for (const row of standIn.store.orderedRecords(connection, BENCH_STREAM.model)) renderRecordJson(row);
  // The garbage of seeding or changing 200,000 records is collected now, not by GCs during the next timed sync
  // (the bench runs with --expose-gc; without it this is skipped).
  (globalThis as { gc?: () => void }).gc?.();
}
