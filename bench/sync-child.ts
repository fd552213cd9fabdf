/**
 * One product sync in a process of its own (not a scenario by itself), so its peak RSS is the sync's alone.
 * Argument: JSON {@link SyncChildConfig}. Prints one JSON line, {@link SyncChildResult}, and exits.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Secret } from '../src/config/secret.js';
import { createLogger } from '../src/log/create-logger.js';
import { createNangoClient } from '../src/nango/nango-client.js';
import { createRedisRequestGate } from '../src/ratelimit/redis-request-gate.js';
import { openGate, type RequestGate } from '../src/ratelimit/request-gate.js';
import { directModelFields } from '../src/replicate/model-fields-lookup.js';
import { replicateStream } from '../src/replicate/replicate-stream.js';
import { createDatabase } from '../src/store/create-database.js';
import { cpuMsSince } from './cpu-ms-since.js';
import { postgresCpuMs, postgresSince } from './postgres-cpu.js';
import type { StreamKey } from '../src/stream/stream-key.js';

export interface SyncChildConfig {
  databaseUrl: string;
  nangoHost: string;
  secretKey: string;
  stream: StreamKey;
  schema: string;
  pageSize: number;
  /** The product table's fillfactor (`target.fillfactor`). */
  fillfactor: number;
  /** Read from the beginning instead of the stored cursor (a full re-read). Default false. */
  full?: boolean;
  /** The shared Redis token bucket in front of every request; absent: no limiter. */
  gate?: { redisUrl: string; keyPrefix: string; key: string; requestsPerMinute: number; share: number };
}

export interface SyncChildResult {
  elapsedMs: number;
  records: number;
  pages: number;
  upserted: number;
  complete: boolean;
  /** Peak resident set of this process, bytes (see {@link peakRssBytes}). */
  maxRssBytes: number;
  /** CPU time of the sync process (user + system) over the sync, from the call of `replicateStream` on (not the process's start-up), ms. */
  cpuMs: number;
  /** CPU time of the local Postgres processes over the sync, its connections still open, ms; null if unreadable. */
  postgresCpuMs: number | null;
  /** 429 responses this process saw (0 without a gate). */
  tooManyRequests: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as SyncChildConfig;
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
const redis = config.gate ? new Redis(config.gate.redisUrl) : null;
const gate = redis && config.gate ? createRedisRequestGate({ redis, logger }, config.gate) : null;
const db = createDatabase({ url: new Secret(config.databaseUrl), applicationName: 'nango-replicator-bench-sync' });
const nango = createNangoClient(
  { fetch, gate: gate ?? (openGate as RequestGate), logger },
  {
    host: config.nangoHost,
    secretKey: new Secret(config.secretKey),
    requestTimeoutMs: 120_000,
    retries: 5,
    retryMinDelayMs: 200,
    retryMaxDelayMs: 5_000,
  },
);
const postgresBefore = postgresCpuMs();
const cpuBefore = process.cpuUsage();
try {
  const summary = await replicateStream(
    { db, nango, modelFields: directModelFields(nango), logger },
    {
      stream: config.stream,
      schema: config.schema,
      deletes: 'soft',
      fillfactor: config.fillfactor,
      pageSize: config.pageSize,
      full: config.full,
      signal: AbortSignal.timeout(30 * 60_000),
    },
  );
  const result: SyncChildResult = {
    elapsedMs: summary.elapsedMs,
    records: summary.records,
    pages: summary.pages,
    upserted: summary.upserted,
    complete: summary.complete,
    maxRssBytes: peakRssBytes(),
    cpuMs: cpuMsSince(cpuBefore),
    postgresCpuMs: postgresSince(postgresBefore),
    tooManyRequests: gate?.stats().tooManyRequests ?? 0,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await db.destroy();
  await redis?.quit();
}

/**
 * The process's peak resident set: VmHWM of /proc/self/status on Linux, the high-water mark of this program's memory
 * alone. Not resourceUsage().maxRSS there: Linux carries into it the high-water mark of the image that exec replaced,
 * which for a spawned child is the forked copy of the bench process (measured: 287 MB at the first line of this
 * file, whose RSS then was 88 MB). Elsewhere maxRSS is all there is.
 */
function peakRssBytes(): number {
  try {
    const kilobytes = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kilobytes !== undefined) return Number(kilobytes) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
