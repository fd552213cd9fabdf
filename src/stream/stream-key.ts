/** One replicated stream: the records of one model of one connection of one integration. */
export interface StreamKey {
  /** The integration's unique key in Nango (`Provider-Config-Key`). */
  providerConfigKey: string;
  connectionId: string;
  model: string;
}

/** `github/acme/GithubIssue`, for messages and logs. */
export function describeStream(stream: StreamKey): string {
  return `${stream.providerConfigKey}/${stream.connectionId}/${stream.model}`;
}
