import { createHash } from 'node:crypto';

/**
 * The name of the shared bucket for one Nango account: the configured key, else `sk-` and the first 16 hex
 * digits of the sha256 of the secret key. Processes using the same secret key share a bucket; the secret itself
 * never reaches Redis or the logs.
 */
export function bucketKey(options: { key?: string; secretKey: string }): string {
  const configured = options.key?.trim();
  if (configured) return configured;
  return `sk-${createHash('sha256').update(options.secretKey).digest('hex').slice(0, 16)}`;
}
