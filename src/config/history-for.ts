import type { ReplicatorConfig } from './replicator-config.js';

/**
 * Whether a stream's model table keeps every version (history mode): `target.history`, or `history: true` on the first
 * stream rule that covers the stream (as for `every`). A table that has history keeps it whatever this says (see
 * `ensureHistoryTable`), so one stream of a model switching it on switches it on for the model's table.
 */
export function historyFor(
  config: Pick<ReplicatorConfig, 'target' | 'streams'>,
  stream: { providerConfigKey: string; connectionId: string; model: string },
): boolean {
  if (config.target.history) return true;
  // As for `every`, the first rule that matches the stream decides.
  const rule = config.streams.find(
    (r) =>
      r.integration === stream.providerConfigKey &&
      (r.models === '*' || r.models.includes(stream.model)) &&
      (r.connections === '*' || r.connections.includes(stream.connectionId)),
  );
  return rule?.history === true;
}
