import type { StreamKey } from './stream-key.js';

/**
 * The labels of every per-stream metric. Cardinality is one series per (integration, connection, model, variant) per
 * metric, by design: the question an operator asks is "which stream is behind". A fleet with tens of thousands
 * of connections should drop or aggregate these labels at scrape time (Prometheus `metric_relabel_configs`).
 */
export const STREAM_LABELS = ['integration', 'connection', 'model', 'variant'] as const;

export type StreamLabel = (typeof STREAM_LABELS)[number];

export function streamLabels(stream: StreamKey): Record<StreamLabel, string> {
  return { integration: stream.providerConfigKey, connection: stream.connectionId, model: stream.model, variant: stream.variant };
}
