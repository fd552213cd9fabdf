import type { ReplicatorConfig } from '../config/replicator-config.js';

/**
 * Last line of defence before text reaches the operator: any secret value the process knows (the Nango key,
 * passwords in DATABASE_URL / REDIS_URL) is replaced by `[redacted]`, whatever library put it in a message.
 */
export function scrubSecrets(
  text: string,
  config: ReplicatorConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const secrets = new Set<string>();
  const add = (value: string | undefined) => {
    if (value && value.length >= 4) secrets.add(value);
  };
  add(config?.nango.secretKey?.reveal() ?? env.NANGO_SECRET_KEY);
  add(config?.webhooks.signingKey?.reveal() ?? env.NANGO_WEBHOOK_SIGNING_KEY);
  add(config?.webhooks.previousSigningKey?.reveal() ?? env.NANGO_WEBHOOK_SIGNING_KEY_PREVIOUS);
  add(config?.admin.token?.reveal() ?? env.ADMIN_TOKEN);
  for (const url of [config?.databaseUrl.reveal() ?? env.DATABASE_URL, config?.redisUrl.reveal() ?? env.REDIS_URL]) {
    add(url);
    add(passwordOf(url));
  }
  let scrubbed = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) scrubbed = scrubbed.split(secret).join('[redacted]');
  return scrubbed;
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined; // not a URL: nothing to extract
  }
}
