import { Gauge, type Registry } from 'prom-client';
import { STREAM_STATES } from '../store/stream-filter.js';
import { type FleetGroup, SINCE_SUCCESS_BUCKETS } from './load-fleet-figures.js';
import { scrapeOnce } from './scrape-once.js';

const PREFIX = 'nango_replicator_';

/**
 * The fleet gauges, per (integration, model), read from the database at scrape time (one grouped query shared by
 * all of them): streams by state, live rows, the worst time since a last success and the worst freshness lag, and
 * a cumulative histogram of the time since each stream's last success (`le` buckets, usable with
 * `histogram_quantile`). Every process of a fleet reports the same figures: aggregate them with `max`, never `sum`.
 * Returns the scrape's shared load (for collectors that must run after it), or undefined without a source.
 */
export function createFleetGauges(
  registers: Registry[],
  source: (() => Promise<ReadonlyArray<FleetGroup>>) | undefined,
  failed: (source: 'fleet', error: unknown) => void,
  onStreams: (streams: number) => void = () => {},
): (() => Promise<unknown>) | undefined {
  if (source === undefined) return undefined;
  const load = scrapeOnce(async () => {
    try {
      const groups = await source();
      onStreams(groups.reduce((sum, g) => sum + Object.values(g.states).reduce((a, b) => a + b, 0), 0));
      return groups;
    } catch (error) {
      failed('fleet', error);
      return null;
    }
  });
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (g: Gauge<L>, group: FleetGroup) => void,
  ) => {
    const g: Gauge<L> = new Gauge({
      name: PREFIX + name,
      help,
      labelNames,
      registers,
      async collect() {
        g.reset();
        for (const group of (await load()) ?? []) fill(g, group);
      },
    });
    return g;
  };
  const im = (group: FleetGroup) => ({ integration: group.integration, model: group.model });

  gauge(
    'streams',
    'Streams by state (fresh, lagging, failing, never read), fleet-wide; aggregate with max.',
    ['integration', 'model', 'state'],
    (g, group) => {
      for (const state of STREAM_STATES) g.set({ ...im(group), state }, group.states[state]);
    },
  );
  gauge(
    'stream_rows',
    'Live rows of the streams, from their counters, fleet-wide; aggregate with max.',
    ['integration', 'model'],
    (g, group) => g.set(im(group), group.liveRows),
  );
  gauge(
    'since_last_success_max_seconds',
    'Worst time since a successful run among the streams, seconds, fleet-wide; aggregate with max.',
    ['integration', 'model'],
    (g, group) => {
      if (group.worstSinceSuccessSeconds !== null) g.set(im(group), group.worstSinceSuccessSeconds);
    },
  );
  gauge(
    'freshness_lag_max_seconds',
    'Worst now minus newest _nango_last_modified_at written among the streams, seconds, fleet-wide; aggregate with max.',
    ['integration', 'model'],
    (g, group) => {
      if (group.worstFreshnessLagSeconds !== null) g.set(im(group), group.worstFreshnessLagSeconds);
    },
  );
  gauge(
    'since_last_success_seconds_bucket',
    'Streams whose last successful run ended at most le seconds ago (cumulative), fleet-wide; aggregate with max.',
    ['integration', 'model', 'le'],
    (g, group) => {
      SINCE_SUCCESS_BUCKETS.forEach((le, i) => g.set({ ...im(group), le: String(le) }, group.sinceSuccessBuckets[i] ?? 0));
      g.set({ ...im(group), le: '+Inf' }, group.sinceSuccessBuckets[SINCE_SUCCESS_BUCKETS.length] ?? 0);
    },
  );
  return load;
}
