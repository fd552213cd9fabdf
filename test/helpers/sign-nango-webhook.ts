import { createHash, createHmac } from 'node:crypto';

/**
 * A webhook body as Nango puts it on the wire: `stableStringify` (keys sorted at every level, compact,
 * undefined dropped), so tests sign exactly the bytes Nango would.
 */
export function nangoWebhookBody(payload: unknown): Buffer {
  return Buffer.from(stableStringify(payload), 'utf8');
}

/** `X-Nango-Hmac-Sha256`: hex HMAC-SHA256 of the raw body keyed by the signing key. */
export function hmacSignature(key: string, body: Buffer): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/** Legacy `X-Nango-Signature`: hex SHA-256 of key + body. */
export function legacySignature(key: string, body: Buffer): string {
  return createHash('sha256')
    .update(key + body.toString('utf8'))
    .digest('hex');
}

function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableStringify(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/** A successful sync webhook for one model, as docs/nango-api.md 5.1 shows it. */
export function syncSuccessPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'sync',
    from: 'nango',
    success: true,
    providerConfigKey: 'github-prod',
    connectionId: 'acme',
    model: 'GithubIssue',
    syncName: 'issues',
    syncType: 'INCREMENTAL',
    syncVariant: 'base',
    modifiedAfter: '2024-05-01T10:00:00.000Z',
    queryTimeStamp: '2024-05-01T10:00:00.000Z',
    responseResults: { added: 3, updated: 1, deleted: 0 },
    checkpoints: { from: { updatedAfter: '2024-04-30T00:00:00.000Z' }, to: { updatedAfter: '2024-05-01T10:00:00.000Z' } },
    ...overrides,
  };
}

/** A failed sync webhook: one for all the run's models, joined by commas. */
export function syncFailurePayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'sync',
    from: 'nango',
    success: false,
    providerConfigKey: 'github-prod',
    connectionId: 'acme',
    model: 'GithubIssue,GithubPullRequest',
    syncName: 'issues',
    syncType: 'INCREMENTAL',
    syncVariant: 'base',
    error: { type: 'script_error', description: 'The script threw: rate limited by GitHub' },
    startedAt: '2024-05-01T10:00:00.000Z',
    failedAt: '2024-05-01T10:00:05.000Z',
    ...overrides,
  };
}
