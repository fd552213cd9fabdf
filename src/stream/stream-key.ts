/** The variant of a sync that has no variants (REFERENCE 10.2): the plain stream of a model. */
export const BASE_VARIANT = 'base';

/**
 * One replicated stream: the records of one variant of one model of one connection of one integration. Records of
 * different variants are separate streams, with their own cursors, and their ids may repeat across variants.
 */
export interface StreamKey {
  /** The integration's unique key in Nango (`Provider-Config-Key`). */
  providerConfigKey: string;
  connectionId: string;
  /** The model's base name (a variant's records are `GET /records?model=<model>&variant=<variant>`). */
  model: string;
  /** The sync variant, {@link BASE_VARIANT} for a sync without variants. */
  variant: string;
}

/** `github/acme/GithubIssue` for the base variant, `github/acme/GithubIssue::v1` for variant `v1`: for messages and logs. */
export function describeStream(stream: StreamKey): string {
  return `${stream.providerConfigKey}/${stream.connectionId}/${describeModel(stream)}`;
}

/** `GithubIssue` for the base variant, `GithubIssue::v1` for variant `v1` (Nango's own store key): for tables of streams. */
export function describeModel(stream: Pick<StreamKey, 'model' | 'variant'>): string {
  return stream.variant === BASE_VARIANT ? stream.model : `${stream.model}::${stream.variant}`;
}
