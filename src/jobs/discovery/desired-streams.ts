import type { StreamRule } from '../../config/replicator-config.js';
import { parseFrequency } from '../../config/parse-frequency.js';
import type { NangoConnection } from '../../nango/list-connections.js';
import type { StreamKey } from '../../stream/stream-key.js';
import { integrationSyncs } from './integration-syncs.js';
import { followedVariants, variantsByConnection } from './followed-variants.js';
import type { KnownVariant } from '../../store/record-listed-variants.js';
import { streamSchedulerId } from '../../stream/stream-ids.js';

/** A stream the worker should keep fresh, and how often. */
export interface DesiredStream {
  /** Its job scheduler id ({@link streamSchedulerId}). */
  id: string;
  stream: StreamKey;
  everyMs: number;
  /** Longest period the stream backs off to when idle, >= `everyMs`. */
  safetyNetMs: number;
}

/** What Nango said, as the rules need it. */
export interface DiscoverySources {
  /** Connections of the rules' integrations ({@link integrationsToList}). */
  connections: ReadonlyArray<NangoConnection>;
  /** The body of GET /scripts/config; null when no rule needed it. */
  scriptsConfig: unknown;
  /** The sync variants known and not gone (`listKnownVariants`); absent: the plain syncs only. */
  variants?: ReadonlyArray<KnownVariant>;
}

/** The ceiling of an idle stream's period when its rule sets no `safetyNet`: 6 h, ms. */
export const DEFAULT_SAFETY_NET_MS = 6 * 3600_000;

/** Interval of a stream whose rule sets no `every` and whose model no sync declares. */
export const FALLBACK_EVERY_MS = 3_600_000;

/**
 * Expands the `streams` rules into streams, one per (connection, model, variant). Pure: no I/O.
 * - `connections: "*"`: the integration's connections as Nango lists them; a list is followed as written (a
 *   connection Nango does not know then fails its jobs with a terminal error, visible in `status`).
 * - `models: "*"`: every model the integration's syncs return.
 * - `every` absent: the shortest `runs` among the syncs returning the model, else {@link FALLBACK_EVERY_MS}.
 * - `variants`: each (connection, model) is the plain sync's stream (`base`) and one stream per known variant of a
 *   sync returning the model, as far as the rule follows them ({@link followedVariants}).
 * A stream matched by several rules takes the first. `notes` says what an operator may want to know.
 */
export function desiredStreams(rules: ReadonlyArray<StreamRule>, sources: DiscoverySources): { streams: DesiredStream[]; notes: string[] } {
  const byId = new Map<string, DesiredStream>();
  const notes: string[] = [];
  const variants = variantsByConnection(sources.variants ?? []);
  for (const rule of rules) {
    const listed = sources.connections.filter((c) => c.provider_config_key === rule.integration);
    const provider = listed.find((c) => c.provider !== undefined)?.provider;
    const syncs = integrationSyncs(sources.scriptsConfig, rule.integration, provider);
    const models = rule.models === '*' ? [...new Set(syncs.flatMap((s) => s.models))] : rule.models;
    if (rule.models === '*' && models.length === 0) notes.push(`integration "${rule.integration}" has no deployed sync returning a model`);
    const connectionIds = rule.connections === '*' ? listed.map((c) => c.connection_id) : rule.connections;
    for (const model of models) {
      const everyMs = rule.everyMs ?? syncEvery(syncs.filter((s) => s.models.includes(model)).map((s) => s.runs));
      if (everyMs === null) notes.push(`no sync of "${rule.integration}" declares a frequency for ${model}; syncing it every 1h`);
      const every = everyMs ?? FALLBACK_EVERY_MS;
      const safetyNetMs = Math.max(rule.safetyNetMs ?? DEFAULT_SAFETY_NET_MS, every);
      for (const connectionId of connectionIds) {
        for (const variant of followedVariants(rule, variants, { connectionId, model, syncs })) {
          const stream = { providerConfigKey: rule.integration, connectionId, model, variant };
          const id = streamSchedulerId(stream);
          if (!byId.has(id)) byId.set(id, { id, stream, everyMs: every, safetyNetMs });
        }
      }
    }
  }
  return { streams: [...byId.values()], notes };
}

/** The shortest readable frequency, or null when none is. */
function syncEvery(runs: ReadonlyArray<string | null>): number | null {
  const parsed = runs.map((r) => (r === null ? null : parseFrequency(r))).filter((ms): ms is number => ms !== null);
  return parsed.length === 0 ? null : Math.min(...parsed);
}

/** Whether a rule needs GET /scripts/config: any `models: "*"` or absent `every`. */
export function needsScriptsConfig(rules: ReadonlyArray<StreamRule>): boolean {
  return rules.some((rule) => rule.models === '*' || rule.everyMs === undefined);
}

/**
 * The integrations whose connections are listed: all of the rules', also those with explicit connection lists,
 * because a connection tells the integration's provider (needed to find its syncs, see `integrationSyncs`).
 */
export function integrationsToList(rules: ReadonlyArray<StreamRule>): string[] {
  return [...new Set(rules.map((rule) => rule.integration))];
}
