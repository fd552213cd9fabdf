import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { ReplicatorMetrics, WebhookOutcome } from '../metrics/create-replicator-metrics.js';
import { actOnWebhook } from './act-on-webhook.js';
import { parseNangoWebhook } from './nango-webhook-schema.js';
import { hasSigningKey, verifyNangoSignature, type WebhookSigningKeys } from './verify-nango-signature.js';
import type { WebhookTarget } from './webhook-target.js';
import { DeadlineExceeded, withDeadline } from './with-deadline.js';

export interface NangoWebhookRouteDeps {
  target: WebhookTarget;
  keys: WebhookSigningKeys;
  metrics: ReplicatorMetrics;
  logger: Logger;
}

export interface NangoWebhookRouteOptions {
  /** Default `/webhooks/nango`. */
  path?: string;
  /** Largest body accepted, bytes; larger ones get 413 before they are read whole. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Answer 503 if the target has not answered within this, ms (Nango gives up after 20 s). Default 10 000. */
  targetTimeoutMs?: number;
}

const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
const DEFAULT_TARGET_TIMEOUT_MS = 10_000;

/**
 * `POST /webhooks/nango`, in its own encapsulated scope: the body is kept as the raw bytes (the signature
 * covers exactly those), and this scope's parser and error handler do not leak into the rest of the app.
 * Order of checks: size (413), signing key configured (503), signature (401), JSON (400), shape (400); only
 * then is the target called. Nothing is enqueued for a request refused at any step.
 */
export function registerNangoWebhookRoute(app: FastifyInstance, deps: NangoWebhookRouteDeps, options: NangoWebhookRouteOptions = {}): void {
  const logger = deps.logger.child({ route: 'nango-webhook' });
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const timeoutMs = options.targetTimeoutMs ?? DEFAULT_TARGET_TIMEOUT_MS;
  const configured = hasSigningKey(deps.keys);
  if (!configured) {
    logger.warn(
      'Nango webhooks are refused with 503: set NANGO_WEBHOOK_SIGNING_KEY (Nango: Environment Settings -> Webhooks -> Signing key)',
    );
  }
  const answer = (reply: FastifyReply, status: number, outcome: WebhookOutcome, body: Record<string, unknown>) => {
    deps.metrics.webhooks.inc({ outcome });
    return reply.code(status).send({ outcome, ...body });
  };

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
    scope.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return answer(reply, 413, 'too-large', { error: `body over ${bodyLimit} bytes` });
      const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      logger.warn({ code: error.code, status }, 'webhook request failed before it was read');
      return answer(reply, status, status === 500 ? 'target-error' : 'malformed', { error: 'request could not be read' });
    });

    scope.post(options.path ?? '/webhooks/nango', { bodyLimit }, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (!configured) return answer(reply, 503, 'unconfigured', { error: 'webhook signing key not configured' });

      const signature = verifyNangoSignature(raw, request.headers, deps.keys);
      if (!signature.ok) {
        logger.warn({ reason: signature.reason, ip: request.ip }, 'webhook refused: not signed by Nango');
        return answer(reply, 401, 'unauthorized', { error: signature.reason });
      }
      if (signature.key === 'previous' || signature.scheme === 'legacy-sha256') {
        logger.info({ key: signature.key, scheme: signature.scheme }, 'webhook accepted with the previous key or the legacy signature');
      }

      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        // The parser's message can quote the body: it is neither logged nor echoed.
        return answer(reply, 400, 'malformed', { error: 'body is not JSON' });
      }
      const parsed = parseNangoWebhook(json);
      if (!parsed.ok) {
        logger.warn({ problem: parsed.problem }, 'webhook refused: not a Nango webhook body');
        return answer(reply, 400, 'malformed', { error: parsed.problem });
      }

      const lateError = (error: unknown) => logger.error({ err: errorFacts(error) }, 'webhook target failed after the reply was sent');
      try {
        const outcome = await withDeadline(actOnWebhook(parsed.webhook, { target: deps.target, logger }), timeoutMs, lateError);
        return answer(reply, 200, outcome, {});
      } catch (error) {
        const timedOut = error instanceof DeadlineExceeded;
        logger.error({ err: errorFacts(error), timedOut }, 'webhook could not be acted on; Nango will retry');
        return answer(reply, 503, 'target-error', { error: timedOut ? 'timed out' : 'could not enqueue' });
      }
    });
  });
}

/** Code and message only: no stack, no cause chain that might carry connection strings. */
function errorFacts(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { name: error.name, message: error.message, code: (error as { code?: unknown }).code };
  return { message: String(error) };
}
