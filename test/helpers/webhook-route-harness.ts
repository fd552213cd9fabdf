import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { Registry } from 'prom-client';
import { Secret } from '../../src/config/secret.js';
import { createReplicatorMetrics, type ReplicatorMetrics } from '../../src/metrics/create-replicator-metrics.js';
import type { StreamKey } from '../../src/stream/stream-key.js';
import { registerNangoWebhookRoute, type NangoWebhookRouteOptions } from '../../src/webhooks/register-nango-webhook-route.js';
import type { WebhookSigningKeys } from '../../src/webhooks/verify-nango-signature.js';
import type { SyncFailure, SyncRequestOutcome, SyncRequestReason, WebhookTarget } from '../../src/webhooks/webhook-target.js';
import { captureLogger } from './capture-logger.js';
import { hmacSignature, nangoWebhookBody } from './sign-nango-webhook.js';

export const KEY = randomUUID();
export const OLD_KEY = randomUUID();
export const STREAM = { providerConfigKey: 'github-prod', connectionId: 'acme', model: 'GithubIssue', variant: 'base' };

export type Call =
  | { method: 'requestSync' | 'requestFullResync'; stream: StreamKey; reason: SyncRequestReason }
  | { method: 'recordSyncFailure'; stream: StreamKey; failure: SyncFailure };

/** The edge the route talks to, recording what it was asked (the real one enqueues on BullMQ). */
export class RecordingTarget implements WebhookTarget {
  readonly calls: Call[] = [];
  constructor(private readonly answer: () => Promise<SyncRequestOutcome> = async () => 'enqueued') {}
  requestSync(stream: StreamKey, reason: SyncRequestReason) {
    this.calls.push({ method: 'requestSync', stream, reason });
    return this.answer();
  }
  requestFullResync(stream: StreamKey, reason: SyncRequestReason) {
    this.calls.push({ method: 'requestFullResync', stream, reason });
    return this.answer();
  }
  async recordSyncFailure(stream: StreamKey, failure: SyncFailure) {
    this.calls.push({ method: 'recordSyncFailure', stream, failure });
  }
}

/** The webhook route on a fresh app, with its own metrics and a captured log. */
export interface Harness {
  app: FastifyInstance;
  target: RecordingTarget;
  metrics: ReplicatorMetrics;
  log: ReturnType<typeof captureLogger>;
  post(body: Buffer, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  outcomes(): Promise<Record<string, number>>;
}

export async function harness(
  keys: Partial<WebhookSigningKeys> = { current: new Secret(KEY) },
  options: NangoWebhookRouteOptions & { target?: RecordingTarget } = {},
): Promise<Harness> {
  const app = Fastify();
  const target = options.target ?? new RecordingTarget();
  const metrics = createReplicatorMetrics(new Registry());
  const log = captureLogger();
  registerNangoWebhookRoute(app, { target, metrics, logger: log.logger, keys: { allowLegacy: false, ...keys } }, options);
  app.post('/elsewhere', async (request) => ({ got: request.body }));
  await app.ready();
  return {
    app,
    target,
    metrics,
    log,
    post: (body, headers = {}) =>
      app.inject({ method: 'POST', url: '/webhooks/nango', payload: body, headers: { 'content-type': 'application/json', ...headers } }),
    outcomes: async () => {
      const values = (await metrics.webhooks.get()).values;
      return Object.fromEntries(values.map((v) => [String(v.labels.outcome), v.value]));
    },
  };
}

/** A payload as Nango would send it, with its HMAC header. */
export const signed = (payload: Record<string, unknown>, key = KEY) => {
  const body = nangoWebhookBody(payload);
  return { body, headers: { 'x-nango-hmac-sha256': hmacSignature(key, body) } };
};
