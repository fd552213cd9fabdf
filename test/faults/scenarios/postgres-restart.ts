import { setTimeout as sleep } from 'node:timers/promises';
import { openFaultLab, waitFor } from '../fault-lab.js';
import { startPrivatePostgres } from '../private-postgres.js';
import { crashSigns } from '../replicator-process.js';
import { emptyRow, type Scenario } from '../scenario.js';
import { settleRow, stopWorker } from '../settle-row.js';

const CRASHES = 3;

/**
 * A private Postgres cluster stopped hard (`pg_ctl stop -m immediate`) while a worker writes pages, then started
 * again: the worker survives and converges.
 */
export const postgresRestart: Scenario = {
  name: 'postgres-restart',
  async run(suite) {
    const row = emptyRow(`Postgres cluster crashed (immediate stop) and restarted mid-run (${CRASHES}x)`);
    const cluster = await startPrivatePostgres();
    const undefer = suite.deferCleanup(() => cluster.destroy());
    try {
      const lab = await openFaultLab(suite, {
        label: 'pg_restart',
        adminUrl: cluster.adminUrl,
        streams: ['acme', 'globex'].map((connectionId) => ({ providerConfigKey: 'helpdesk', connectionId, model: 'Ticket' })),
      });
      try {
        lab.seed(1200);
        lab.standIn.faults.delayNext(1_000_000, 20, { pathPrefix: '/records' });
        const worker = lab.worker();
        await worker.waitForLine(/"msg":"worker started"/, 90_000);
        for (let i = 0; i < CRASHES; i++) {
          if (i > 0) lab.churn(suite.random);
          await waitFor(() => lab.pageTransactionInFlight().catch(() => false), 30_000, 5);
          await cluster.crash();
          row.injected++;
          await sleep(suite.between(1000, 3000));
          await cluster.start();
          if (!worker.alive()) {
            row.failures.push(`the worker died of the crash: ${crashSigns(worker.output()) ?? worker.output().slice(-300)}`);
            break;
          }
          row.survived++;
          const converged = await waitFor(
            async () => {
              const diff = await lab.diff().catch(() => ({ lost: 1, duplicated: 0 }));
              return diff.lost + diff.duplicated === 0;
            },
            60_000,
            500,
          );
          if (!converged) row.failures.push(`crash ${i + 1}: the worker did not converge within 60 s of the restart`);
          row.ahead += await lab.probe();
        }
        await stopWorker(worker, row);
        await settleRow(lab, row);
        return [row];
      } finally {
        await lab.close();
      }
    } finally {
      undefer();
      await cluster.destroy();
    }
  },
};
