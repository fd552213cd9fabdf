import type { FaultSuite } from './fault-suite.js';
import type { ReplicatorProcess } from './replicator-process.js';
import { emptyRow, type SurvivalRow } from './scenario.js';

/**
 * Every line every process printed, searched for the Nango key, the webhook signing key, the admin token and the database password
 * (as given and URL-encoded). A row of the table: injected = lines scanned, survived = lines without a secret.
 */
export function scanSecrets(suite: FaultSuite, processes: readonly ReplicatorProcess[]): SurvivalRow {
  const row = emptyRow(`secrets in output (${processes.length} processes)`);
  const secrets = new Map<string, string>([
    ['Nango secret key', suite.nangoKey],
    ['webhook signing key', suite.signingKey],
    ['admin token', suite.adminToken],
    ['database password', suite.password],
    ['database password (URL-encoded)', encodeURIComponent(suite.password)],
  ]);
  for (const proc of processes) {
    for (const line of proc.output().split('\n')) {
      if (line === '') continue;
      row.injected++;
      const found = [...secrets].filter(([, value]) => line.includes(value)).map(([name]) => name);
      if (found.length === 0) row.survived++;
      else if (row.failures.length < 5) row.failures.push(`${proc.label} printed the ${found.join(', ')}`);
    }
  }
  return row;
}
