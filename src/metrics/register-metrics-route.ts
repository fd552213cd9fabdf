import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface MetricsRouteDeps {
  /** The app's registry (the one given to `createReplicatorMetrics`). */
  registry: Registry;
  /** Default `/metrics`. */
  path?: string;
}

/** `GET /metrics`: the registry in Prometheus text format. Gauges with sources are read now, at scrape time. */
export function registerMetricsRoute(app: FastifyInstance, deps: MetricsRouteDeps): void {
  app.get(deps.path ?? '/metrics', async (_request, reply) => {
    const body = await deps.registry.metrics();
    return reply.header('content-type', deps.registry.contentType).header('cache-control', 'no-store').send(body);
  });
}
