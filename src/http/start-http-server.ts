import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { SECURITY_HEADERS } from './security-headers.js';

/**
 * A group of routes: a function that registers them on the app. The worker's public door gets `healthRoutes(...)`
 * and the webhook route; its admin door (`startAdminDoor`) health, `/metrics` and the status page (`GET /`).
 */
export type HttpRoutes = (app: FastifyInstance) => void | Promise<void>;

export interface HttpServer {
  /** The port listened on (useful with port 0). */
  readonly port: number;
  /** Stops accepting connections and ends the open ones. Idempotent. */
  close(): Promise<void>;
}

export interface HttpServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default `0.0.0.0`: reachable from outside a container. */
  host?: string;
  routes: ReadonlyArray<HttpRoutes>;
  /** Largest request body accepted, bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Which door this is, for the log line at start: `http listening` (public) or `admin http listening`. */
  door?: 'public' | 'admin';
}

/** Starts the worker's HTTP server (fastify) and resolves once it listens. */
export async function startHttpServer(deps: { logger: Logger }, options: HttpServerOptions): Promise<HttpServer> {
  // fastify's own lines (e.g. "Server listening at ...") only at warn and above: the replicator logs what matters.
  const app = Fastify({
    loggerInstance: deps.logger.child({}, { level: 'warn' }),
    // Through a LogController: the top-level `disableRequestLogging` is deprecated (FSTDEP023, a warning at start).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  });
  app.addHook('onSend', async (_request, reply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  });
  // Fastify's own 404 names the method and path asked for: a door answers without echoing request input.
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ error: 'not found' }));
  for (const routes of options.routes) await app.register(async (scope) => routes(scope));
  const host = options.host ?? '0.0.0.0';
  await app.listen({ port: options.port, host });
  const { port } = app.server.address() as AddressInfo;
  if (options.door === 'admin') deps.logger.info({ port, host }, 'admin http listening');
  else deps.logger.info({ port }, 'http listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => (closing ??= app.close()),
  };
}
