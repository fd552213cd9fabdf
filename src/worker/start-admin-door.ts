import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import { withInfrastructureErrors } from '../errors/describe-infrastructure-error.js';
import { healthRoutes, type ReadinessCheck } from '../http/health-routes.js';
import { requireBearerToken } from '../http/require-bearer-token.js';
import { type HttpServer, startHttpServer } from '../http/start-http-server.js';
import type { ReplicatorMetrics } from '../metrics/create-replicator-metrics.js';
import { registerMetricsRoute } from '../metrics/register-metrics-route.js';
import type { FleetBudget } from '../ratelimit/read-fleet-budget.js';
import { describeFleetSchedule } from '../schedule/describe-fleet-schedule.js';
import { loadFleetSchedule } from '../schedule/plan-fleet-schedule.js';
import { readApiBudget } from '../status-page/read-api-budget.js';
import type { ApiBudget } from '../status-page/render-api-budget.js';
import { registerStatusPage } from '../status-page/register-status-page.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import { requestsSavedPerMinute } from '../store/requests-saved-per-minute.js';

export interface AdminDoorDeps {
  /** `target` gives the status page its schema (streams of deleted connections are counted as not followed). */
  config: Pick<ReplicatorConfig, 'admin' | 'nango'> & Partial<Pick<ReplicatorConfig, 'target'>>;
  logger: Logger;
  db: Kysely<ReplicatorDatabase>;
  registry: Registry;
  metrics: ReplicatorMetrics;
  /** The same checks as the public door's `/readyz`; here the answer names each one and why it failed. */
  checks: ReadonlyArray<ReadinessCheck>;
  /** The fleet's API budget as its buckets apply it (`readFleetBudget`), shown on the status page. */
  fleetBudget?(): Promise<FleetBudget>;
}

/**
 * The worker's admin door, for operators and Prometheus: on `ADMIN_HOST:ADMIN_PORT` (default 127.0.0.1:9464) the
 * status page at `GET /` and `GET /metrics` (both behind `ADMIN_TOKEN` when it is set), `GET /healthz` and
 * `GET /readyz` (always open). Without a token on an address other hosts can reach, it says so once.
 */
export async function startAdminDoor(deps: AdminDoorDeps): Promise<HttpServer> {
  const { config, logger, db } = deps;
  const { port, host, token } = config.admin;
  if (token === undefined && !isLoopback(host)) {
    logger.warn(
      { adminHost: host, adminPort: port },
      `the admin door (status page, /metrics) listens on ${host} without ADMIN_TOKEN: anyone who can reach port ${port} ` +
        'sees every connection id and error. Set ADMIN_TOKEN, or ADMIN_HOST=127.0.0.1 outside a container.',
    );
  }
  return withInfrastructureErrors({ service: 'http', port, setting: 'ADMIN_PORT' }, () =>
    startHttpServer(
      { logger: logger.child({ component: 'admin-http' }) },
      {
        port,
        host,
        door: 'admin',
        routes: [
          healthRoutes(deps.checks, { details: true }),
          requireBearerToken(token, [
            (scope) => registerMetricsRoute(scope, { registry: deps.registry }),
            (scope) =>
              registerStatusPage(scope, {
                db,
                logger,
                budget: () => readStatusPageBudget(deps),
                requestsSaved: () => requestsSavedPerMinute(db),
                schema: config.target?.schema,
              }),
          ]),
        ],
      },
    ),
  );
}

/** What Nango last said about the account, and what the fleet's buckets grant (null when Redis does not answer). */
async function readStatusPageBudget(deps: AdminDoorDeps): Promise<ApiBudget> {
  const budget = await readApiBudget(deps.metrics, deps.config.nango.rateLimit.share);
  const fleet = deps.fleetBudget === undefined ? null : await deps.fleetBudget().catch(() => null);
  return { ...budget, fleet, schedule: describeFleetSchedule(await loadFleetSchedule(deps.db)) };
}

/** An address only this machine reaches: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
