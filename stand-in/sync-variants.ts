import { randomUUID } from 'node:crypto';

/** A variant of a sync on one connection, as `POST /sync/{name}/variant/{variant}` created it. */
export interface SyncVariant {
  /** The variant's sync id (a new one each time the variant is created again). */
  id: string;
  name: string;
  variant: string;
}

/** Nango's cap: at most this many variants (besides `base`) per sync and connection (REFERENCE 10.2). */
export const MAX_VARIANTS_PER_SYNC = 100;

/**
 * The variants of each (integration, connection, sync), in creation order (docs/nango-api.md 10.2). `base` is not
 * one of them: it exists with the deployed sync. Deleting a variant soft-deletes its sync: it leaves this list (so
 * `/sync/status`), while its records, stored under `Model::variant`, stay where they are.
 */
export class SyncVariants {
  readonly #variants = new Map<string, SyncVariant[]>();

  /** Adds a variant; returns null when it exists already. The caller checks the cap and the names. */
  create(providerConfigKey: string, connectionId: string, syncName: string, variant: string): SyncVariant | null {
    const list = this.#list(providerConfigKey, connectionId, syncName);
    if (list.some((v) => v.variant === variant)) return null;
    const created: SyncVariant = { id: randomUUID(), name: syncName, variant };
    list.push(created);
    return { ...created };
  }

  /** Soft-deletes a variant; false when there is no such variant. */
  delete(providerConfigKey: string, connectionId: string, syncName: string, variant: string): boolean {
    const list = this.#list(providerConfigKey, connectionId, syncName);
    const index = list.findIndex((v) => v.variant === variant);
    if (index < 0) return false;
    list.splice(index, 1);
    return true;
  }

  /** The live variants of a sync on a connection, in creation order. */
  list(providerConfigKey: string, connectionId: string, syncName: string): readonly SyncVariant[] {
    return this.#variants.get(key(providerConfigKey, connectionId, syncName))?.map((v) => ({ ...v })) ?? [];
  }

  /** Forgets every variant of a connection (the connection is deleted). */
  forgetConnection(providerConfigKey: string, connectionId: string): void {
    const prefix = `${providerConfigKey}\u0000${connectionId}\u0000`;
    for (const k of [...this.#variants.keys()]) if (k.startsWith(prefix)) this.#variants.delete(k);
  }

  #list(providerConfigKey: string, connectionId: string, syncName: string): SyncVariant[] {
    const k = key(providerConfigKey, connectionId, syncName);
    let list = this.#variants.get(k);
    if (!list) {
      list = [];
      this.#variants.set(k, list);
    }
    return list;
  }
}

function key(providerConfigKey: string, connectionId: string, syncName: string): string {
  return `${providerConfigKey}\u0000${connectionId}\u0000${syncName}`;
}
