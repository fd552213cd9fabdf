import type { Rng } from './mulberry32.js';
import type { RecordStore } from './record-store.js';
import { churnGithubIssues, makeGithubIssue } from './sample-data.js';

/** How much of each connection one churn tick touches: fractions of its records at seeding, each at least 1. */
export const CHURN_SHARE = { update: 0.01, delete: 0.002, add: 0.005 } as const;

/** One seeded connection that {@link churnSampleData} keeps changing. */
export interface ChurnedConnection {
  providerConfigKey: string;
  connectionId: string;
  /** Records seeded; sets the size of each tick. */
  seeded: number;
  /** Number of the next issue to add; advanced by each tick. */
  nextNumber: number;
}

/** What one tick did to one connection. */
export interface ChurnTick {
  providerConfigKey: string;
  connectionId: string;
  updated: number;
  deleted: number;
  added: number;
}

/**
 * One churn tick of the sample GitHub issues: for each connection, changes about 1% of the records seeded, soft-deletes
 * 0.2% and adds 0.5% new issues (at least one of each), as three Nango write batches. Nothing else is sent (no webhook).
 */
export function churnSampleData(store: RecordStore, connections: readonly ChurnedConnection[], rng: Rng): ChurnTick[] {
  return connections.map((connection) => {
    const { providerConfigKey, connectionId } = connection;
    const size = (share: number) => Math.max(1, Math.round(connection.seeded * share));
    const { updated, deleted } = churnGithubIssues(
      store,
      { providerConfigKey, connectionId },
      { updates: size(CHURN_SHARE.update), deletes: size(CHURN_SHARE.delete), rng },
    );
    const adds = Array.from({ length: size(CHURN_SHARE.add) }, (_, i) => makeGithubIssue(connection.nextNumber + i, rng));
    store.save(providerConfigKey, connectionId, 'GithubIssue', adds);
    connection.nextNumber += adds.length;
    return { providerConfigKey, connectionId, updated: updated.length, deleted: deleted.length, added: adds.length };
  });
}
