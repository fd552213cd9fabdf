import { formatPgTimestamp } from './pg-timestamp.js';

/** End user attached to a connection (deprecated in Nango in favour of tags, still returned). */
export interface EndUserInput {
  id: string;
  displayName?: string | null;
  email?: string | null;
  tags?: Record<string, string> | null;
  organization?: { id: string; displayName?: string | null } | null;
}

/** One entry of a connection's `errors` (REFERENCE 10.3). */
export interface ConnectionError {
  type: 'auth' | 'sync';
  log_id: string;
}

/** What a test passes to {@link RecordStore.addConnection}. */
export interface ConnectionInput {
  providerConfigKey: string;
  connectionId: string;
  /** Provider name, e.g. `github`. Default: the integration's provider, else the providerConfigKey. */
  provider?: string;
  /** Connection tags; keys are lowercased as Nango does. */
  tags?: Record<string, string>;
  metadata?: Record<string, unknown> | null;
  endUser?: EndUserInput | null;
  /** Default: none. */
  errors?: ConnectionError[];
}

/** A connection as the stand-in keeps it. `pk` is the numeric id that feeds record uuids. */
export interface StoredConnection {
  pk: number;
  providerConfigKey: string;
  connectionId: string;
  provider: string;
  tags: Record<string, string>;
  metadata: Record<string, unknown> | null;
  endUser: EndUserInput | null;
  errors: ConnectionError[];
  /** Creation time, microseconds since the epoch. */
  createdAt: number;
}

/** One item of GET /connections (`ApiPublicConnection`, docs/nango-api.md 3.1). */
export interface PublicConnection {
  id: number;
  connection_id: string;
  provider_config_key: string;
  provider: string;
  errors: ConnectionError[];
  end_user: {
    id: string;
    display_name: string | null;
    email: string | null;
    tags: Record<string, string> | null;
    organization: { id: string; display_name: string | null } | null;
  } | null;
  tags: Record<string, string>;
  metadata: Record<string, unknown> | null;
  created: string;
}

/** Formats a stored connection for the public API. */
export function toPublicConnection(connection: StoredConnection): PublicConnection {
  const endUser = connection.endUser;
  return {
    id: connection.pk,
    connection_id: connection.connectionId,
    provider_config_key: connection.providerConfigKey,
    provider: connection.provider,
    errors: connection.errors.map((e) => ({ ...e })),
    end_user: endUser
      ? {
          id: endUser.id,
          display_name: endUser.displayName ?? null,
          email: endUser.email ?? null,
          tags: endUser.tags ?? null,
          organization: endUser.organization
            ? { id: endUser.organization.id, display_name: endUser.organization.displayName ?? null }
            : null,
        }
      : null,
    tags: { ...connection.tags },
    metadata: connection.metadata === null ? null : structuredClone(connection.metadata),
    created: formatPgTimestamp(connection.createdAt),
  };
}
