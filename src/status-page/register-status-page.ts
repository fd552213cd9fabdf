import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import { escapeHtml } from './escape-html.js';
import { loadStatusPage } from './load-status-page.js';
import type { ApiBudget } from './render-api-budget.js';
import { renderStatusPage, type StatusPageOptions } from './render-status-page.js';
import { parseStatusPageQuery } from './status-page-query.js';

export interface StatusPageDeps {
  db: Kysely<ReplicatorDatabase>;
  /** The API budget to show (e.g. `() => readApiBudget(metrics, share)`); null when unknown. */
  budget: () => Promise<ApiBudget | null>;
  logger: Logger;
  /** GET requests a minute adaptive polling saves (e.g. `() => requestsSavedPerMinute(db)`); absent or null: not shown. */
  requestsSaved?: () => Promise<number | null>;
  /** The target schema, whose `_nango_connections` says which streams are not followed (absent: not counted). */
  schema?: string;
}

export interface StatusPageRouteOptions extends Pick<StatusPageOptions, 'title'> {
  /** Default `/`. */
  path?: string;
}

/**
 * `GET /`: the status page, rendered on each request from the database: the fleet's summary, then one page of
 * streams, worst first, filtered by the query string (see `parseStatusPageQuery`). A bad query answers 400 saying
 * which parameter was wrong (escaped; the value itself is not echoed).
 */
export function registerStatusPage(app: FastifyInstance, deps: StatusPageDeps, options: StatusPageRouteOptions = {}): void {
  const { path = '/', ...pageOptions } = options;
  app.get(path, async (request, reply) => {
    // Content-Security-Policy, nosniff and Referrer-Policy: set for every answer by the HTTP layer (security-headers.ts).
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
    const parsed = parseStatusPageQuery(request.query);
    if (!parsed.ok) {
      return reply
        .code(400)
        .send(
          `<!doctype html><meta charset="utf-8"><title>bad request</title><p>${escapeHtml(parsed.message)}</p><p><a href="?">All streams</a></p>`,
        );
    }
    try {
      const data = await loadStatusPage(deps.db, parsed.query, { schema: deps.schema });
      const budget = await deps.budget();
      const requestsSavedPerMinute = (await deps.requestsSaved?.()) ?? null;
      return reply.send(
        renderStatusPage(data.rows, budget, {
          ...pageOptions,
          summary: data.summary,
          matching: data.matching,
          query: parsed.query,
          suggestions: data.suggestions,
          requestsSavedPerMinute,
        }),
      );
    } catch (error) {
      deps.logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, 'status page could not be built');
      return reply
        .code(503)
        .send(
          '<!doctype html><meta charset="utf-8"><title>status unavailable</title><p>The status could not be read from the database; see the logs.</p>',
        );
    }
  });
}
