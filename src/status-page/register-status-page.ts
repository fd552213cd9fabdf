import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import { loadStatusRows } from './load-status-rows.js';
import type { ApiBudget } from './render-api-budget.js';
import { renderStatusPage, type StatusPageOptions } from './render-status-page.js';

export interface StatusPageDeps {
  db: Kysely<ReplicatorDatabase>;
  /** The API budget to show (e.g. `() => readApiBudget(metrics, share)`); null when unknown. */
  budget: () => Promise<ApiBudget | null>;
  logger: Logger;
}

export interface StatusPageRouteOptions extends Omit<StatusPageOptions, 'now'> {
  /** Default `/`. */
  path?: string;
}

/** `GET /`: the status page, rendered on each request from the database. */
export function registerStatusPage(app: FastifyInstance, deps: StatusPageDeps, options: StatusPageRouteOptions = {}): void {
  const { path = '/', ...pageOptions } = options;
  app.get(path, async (_request, reply) => {
    // Content-Security-Policy, nosniff and Referrer-Policy: set for every answer by the HTTP layer (security-headers.ts).
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
    try {
      const [rows, budget] = [await loadStatusRows(deps.db), await deps.budget()];
      return reply.send(renderStatusPage(rows, budget, pageOptions));
    } catch (error) {
      deps.logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, 'status page could not be built');
      return reply.code(503).send('<!doctype html><meta charset="utf-8"><title>status unavailable</title><p>The status could not be read from the database; see the logs.</p>');
    }
  });
}
