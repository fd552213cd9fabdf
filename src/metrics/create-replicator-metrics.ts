import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { StreamKey } from '../stream/stream-key.js';
import { scrapeOnce } from './scrape-once.js';
import { createFleetGauges } from './create-fleet-gauges.js';
import type { FleetGroup } from './load-fleet-figures.js';
import { STREAM_LABELS, type StreamLabel, streamLabels } from '../stream/stream-labels.js';

/** A stream's timings as stored in `nango_replicator.streams`, measured on the database clock. */
export interface StreamFreshness {
  stream: StreamKey;
  /** Epoch seconds of the last successful run; null before the first. */
  lastSuccessEpochSeconds: number | null;
  /** Now minus the newest `_nango_last_modified_at` written; null before the first record. */
  freshnessLagSeconds: number | null;
  /** Now minus the end of the last successful run; null before the first. */
  secondsSinceLastSuccess: number | null;
}

/** Figures read at scrape time, supplied by whoever owns them. Each is optional: a missing source exports nothing. */
export interface MetricSources {
  /** Every stream's timings, fleet-wide (e.g. `() => loadStreamFreshness(db)`). */
  streams?: () => Promise<ReadonlyArray<StreamFreshness>>;
  /** The fleet's figures per (integration, model) (e.g. `() => loadFleetFigures(db)`): bounded, always exported. */
  fleet?: () => Promise<ReadonlyArray<FleetGroup>>;
  /** Job counts by state per queue (e.g. BullMQ `queue.getJobCounts('waiting', 'active', 'delayed', ...)`). */
  queues?: ReadonlyArray<{ name: string; counts: () => Promise<Record<string, number>> }>;
  /** Told when a source fails; its gauges are then empty for that scrape and the failure is counted. */
  onSourceError?: (source: 'streams' | 'queues' | 'fleet', error: unknown) => void;
}

export interface ReplicatorMetricsOptions {
  /**
   * Series per stream (label `connection` on the record counters; the per-stream gauges). Default true. Off, the
   * counters count per (integration, model) and the `streams` source is not read: a scrape's size does not grow with
   * the connections. `auto`: on while the fleet has at most {@link AUTO_PER_STREAM_MAX_STREAMS} streams, as counted
   * by the `fleet` source at each scrape (on until the first scrape); turning off resets the per-stream counters.
   */
  perStream?: boolean | 'auto';
}

/** `perStream: 'auto'` keeps series per stream up to this many streams. */
export const AUTO_PER_STREAM_MAX_STREAMS = 500;

/** Outcomes of `POST /webhooks/nango`, one counter series each. */
export type WebhookOutcome =
  | 'enqueued'
  | 'already-queued'
  | 'not-followed'
  | 'full-resync-requested'
  | 'failure-recorded'
  | 'ignored'
  | 'unauthorized'
  | 'unconfigured'
  | 'too-large'
  | 'malformed'
  | 'target-error';

/** Typed handles on every metric of the replicator. Per-stream labels: integration, connection, model. */
export interface ReplicatorMetrics {
  readonly registry: Registry;
  /** Whether series are per stream now (see {@link ReplicatorMetricsOptions}). */
  perStream(): boolean;
  /** Turns series per stream on or off, e.g. once `metrics.perStream: auto` is resolved (`resolvePerStream`). */
  setPerStream(on: boolean): void;
  /** The labels a stream's counts go under: integration and model, and the connection when per stream. */
  labelsOf(stream: StreamKey): Partial<Record<StreamLabel, string>>;
  /** Seconds from sending a Nango request to the end of its body, by status class (`2xx`, `4xx`, `429`, `5xx`). */
  readonly apiRequestDuration: Histogram<'status'>;
  readonly recordsUpserted: Counter<'integration' | 'connection' | 'model'>;
  readonly recordsDeleted: Counter<'integration' | 'connection' | 'model'>;
  readonly recordsRejected: Counter<'integration' | 'connection' | 'model'>;
  readonly pages: Counter<'integration' | 'connection' | 'model'>;
  readonly valueErrors: Counter<'integration' | 'connection' | 'model'>;
  /** Runs by kind (`sync`, `full`, `backfill`) and status (`succeeded`, `failed`). */
  readonly runs: Counter<'integration' | 'connection' | 'model' | 'kind' | 'status'>;
  readonly lastSuccessTimestamp: Gauge<'integration' | 'connection' | 'model'>;
  readonly freshnessLag: Gauge<'integration' | 'connection' | 'model'>;
  readonly sinceLastSuccess: Gauge<'integration' | 'connection' | 'model'>;
  /** Nango API responses by HTTP status (every attempt, retries included). */
  readonly apiRequests: Counter<'status'>;
  readonly apiRateLimited: Counter;
  /** The account's budget as the last Nango response said (X-RateLimit-Limit / -Remaining / -Reset). */
  readonly apiRateLimitLimit: Gauge;
  readonly apiRateLimitRemaining: Gauge;
  readonly apiRateLimitReset: Gauge;
  /** Seconds each granted request waited on the rate limiter. Its `_count` is the tokens granted. */
  readonly rateLimitWait: Histogram;
  readonly tokensGranted: Counter;
  readonly queueJobs: Gauge<'queue' | 'state'>;
  readonly webhooks: Counter<'outcome'>;
  readonly sourceErrors: Counter<'source'>;
}

const PREFIX = 'nango_replicator_';

/**
 * Creates every metric on `registry` (the app's own; never prom-client's global one, so two instances can live
 * side by side in one process). Counters are this process's; gauges fed by `sources` are read at scrape time
 * and, for streams, come from the database, so every process of a fleet reports the same fleet-wide figure.
 */
export function createReplicatorMetrics(
  registry: Registry,
  sources: MetricSources = {},
  options: ReplicatorMetricsOptions = {},
): ReplicatorMetrics {
  const registers = [registry];
  const auto = options.perStream === 'auto';
  // auto starts on: a small fleet keeps every series from the first page; a large one drops them at the first scrape.
  let perStreamSeries = options.perStream !== false;
  // The counters declare the connection label; off per stream, it is left out of every series they get.
  // Read before the counters are: with `auto`, the scrape's fleet size decides whether their per-connection series stay.
  let loadFleet: (() => Promise<unknown>) | undefined;
  const afterFleet = async () => void (await loadFleet?.());
  const perStream = (name: string, help: string) =>
    new Counter({ name: PREFIX + name, help, labelNames: STREAM_LABELS, registers, collect: afterFleet });
  const sourceErrors = new Counter({
    name: `${PREFIX}metrics_source_errors_total`,
    help: 'Scrapes in which a source of gauges (streams table, queue counts) failed; its gauges were empty.',
    labelNames: ['source'] as const,
    registers,
  });
  const failed = (source: 'streams' | 'queues' | 'fleet', error: unknown) => {
    sourceErrors.inc({ source });
    sources.onSourceError?.(source, error);
  };

  const streamsSource = sources.streams;
  // One call per scrape for the three stream gauges; a failure is counted once, by the shared call.
  const loadStreams =
    streamsSource === undefined
      ? undefined
      : scrapeOnce(() =>
          streamsSource().catch((error: unknown) => {
            failed('streams', error);
            return null;
          }),
        );
  const streamGauge = (name: string, help: string, value: (row: StreamFreshness) => number | null) => {
    const gauge: Gauge<StreamLabel> = new Gauge({
      name: PREFIX + name,
      help,
      labelNames: STREAM_LABELS,
      registers,
      async collect() {
        gauge.reset();
        await afterFleet();
        if (loadStreams === undefined || !perStreamSeries) return;
        for (const row of (await loadStreams()) ?? []) {
          const v = value(row);
          if (v !== null) gauge.set(streamLabels(row.stream), v);
        }
      },
    });
    return gauge;
  };

  const queueJobs: Gauge<'queue' | 'state'> = new Gauge({
    name: `${PREFIX}queue_jobs`,
    help: 'Jobs per queue and state (waiting = depth, active = running now), read at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      if (sources.queues === undefined) return;
      queueJobs.reset();
      for (const queue of sources.queues) {
        try {
          for (const [state, jobs] of Object.entries(await queue.counts())) queueJobs.set({ queue: queue.name, state }, jobs);
        } catch (error) {
          failed('queues', error);
        }
      }
    },
  });

  const metrics: ReplicatorMetrics = {
    registry,
    perStream: () => perStreamSeries,
    setPerStream: (on) => {
      // Off: the series per connection counted so far go, so the scrape shrinks at once (a counter reset to Prometheus).
      if (perStreamSeries && !on) for (const counter of perStreamCounters()) counter.reset();
      perStreamSeries = on;
    },
    labelsOf: (stream) => (perStreamSeries ? streamLabels(stream) : { integration: stream.providerConfigKey, model: stream.model }),
    apiRequestDuration: new Histogram({
      name: `${PREFIX}api_request_duration_seconds`,
      help: 'Time from sending a Nango API request to the end of its response body, by status class.',
      labelNames: ['status'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    recordsUpserted: perStream('records_upserted_total', 'Records inserted or updated in the model tables.'),
    recordsDeleted: perStream('records_deleted_total', 'Records marked deleted (soft) or removed (hard).'),
    recordsRejected: perStream('records_rejected_total', 'Records that could not be stored and went to dead_letters.'),
    pages: perStream('pages_total', 'Pages of records committed.'),
    valueErrors: perStream('value_errors_total', 'Values that did not fit their column (stored as NULL, intact in _nango_raw).'),
    runs: new Counter({
      name: `${PREFIX}runs_total`,
      help: 'Sync runs finished, by kind and status.',
      labelNames: [...STREAM_LABELS, 'kind', 'status'] as const,
      registers,
      collect: afterFleet,
    }),
    lastSuccessTimestamp: streamGauge(
      'stream_last_success_timestamp_seconds',
      'End of the last successful run, epoch seconds.',
      (r) => r.lastSuccessEpochSeconds,
    ),
    freshnessLag: streamGauge(
      'stream_freshness_lag_seconds',
      'Now minus the newest _nango_last_modified_at written, seconds.',
      (r) => r.freshnessLagSeconds,
    ),
    sinceLastSuccess: streamGauge(
      'stream_seconds_since_last_success',
      'Now minus the end of the last successful run, seconds.',
      (r) => r.secondsSinceLastSuccess,
    ),
    apiRequests: new Counter({
      name: `${PREFIX}api_requests_total`,
      help: 'Nango API responses by HTTP status.',
      labelNames: ['status'] as const,
      registers,
    }),
    apiRateLimited: new Counter({ name: `${PREFIX}api_rate_limited_total`, help: 'Nango API responses with status 429.', registers }),
    apiRateLimitLimit: new Gauge({
      name: `${PREFIX}api_ratelimit_limit`,
      help: 'Requests per minute the Nango account allows (last X-RateLimit-Limit seen).',
      registers,
    }),
    apiRateLimitRemaining: new Gauge({
      name: `${PREFIX}api_ratelimit_remaining`,
      help: "Requests left in the account's window (last X-RateLimit-Remaining seen).",
      registers,
    }),
    apiRateLimitReset: new Gauge({
      name: `${PREFIX}api_ratelimit_reset_timestamp_seconds`,
      help: "End of the account's window, epoch seconds (last X-RateLimit-Reset seen).",
      registers,
    }),
    rateLimitWait: new Histogram({
      name: `${PREFIX}ratelimit_wait_seconds`,
      help: 'Time a request waited on the shared rate limiter before it was sent.',
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    tokensGranted: new Counter({
      name: `${PREFIX}ratelimit_tokens_granted_total`,
      help: 'Requests the rate limiter let through.',
      registers,
    }),
    queueJobs,
    webhooks: new Counter({
      name: `${PREFIX}webhooks_total`,
      help: 'Nango webhooks received, by outcome.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    sourceErrors,
  };
  const perStreamCounters = () => [
    metrics.recordsUpserted,
    metrics.recordsDeleted,
    metrics.recordsRejected,
    metrics.pages,
    metrics.valueErrors,
    metrics.runs,
  ];
  loadFleet = createFleetGauges(registers, sources.fleet, failed, (streams) => {
    if (auto) metrics.setPerStream(streams <= AUTO_PER_STREAM_MAX_STREAMS);
  });
  return metrics;
}
