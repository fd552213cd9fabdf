import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Secret } from '../config/secret.js';
import type { HttpRoutes } from './start-http-server.js';

/**
 * The route groups `routes`, behind `Authorization: Bearer <token>` when `token` is set (401 without it or with
 * another), open when it is not. The comparison is timing-safe: both sides are hashed to one length first, so
 * neither the token's length nor its first differing byte shows in the answer's timing. The token is never logged.
 */
export function requireBearerToken(token: Secret | undefined, routes: ReadonlyArray<HttpRoutes>): HttpRoutes {
  return async (scope) => {
    if (token !== undefined) {
      const expected = digest(token.reveal());
      scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
        if (presentedTokenMatches(request.headers.authorization, expected)) return;
        await reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="nango-replicator admin"')
          .send({ error: 'unauthorized', message: 'send the header Authorization: Bearer <ADMIN_TOKEN>' });
      });
    }
    for (const group of routes) await group(scope);
  };
}

function presentedTokenMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  if (match === null) return false;
  return timingSafeEqual(digest(match[1]!), expected);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
