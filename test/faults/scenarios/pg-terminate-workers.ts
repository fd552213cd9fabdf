import { setTimeout as sleep } from 'node:timers/promises';
import { openFaultLab, waitFor } from '../fault-lab.js';
import { crashSigns } from '../replicator-process.js';
import { emptyRow, type Scenario } from '../scenario.js';
import { startBackendStorm } from '../storm.js';
import { settleRow, stopWorker } from '../settle-row.js';

/** The same storm under two worker processes: they keep running, and converge once it ends. */
export const pgTerminateWorkers: Scenario = {
  name: 'pg-terminate-workers',
  async run(suite) {
    const row = emptyRow('pg_terminate_backend storm under 2 workers');
    const lab = await openFaultLab(suite, {
      label: 'pgterm_workers',
      streams: ['acme', 'globex', 'initech'].map((connectionId) => ({ providerConfigKey: 'helpdesk', connectionId, model: 'Ticket' })),
    });
    try {
      lab.seed(600);
      lab.standIn.faults.delayNext(1_000_000, 30, { pathPrefix: '/records' });
      const workers = [lab.worker(), lab.worker()];
      await Promise.all(workers.map((w) => w.waitForLine(/"msg":"worker started"/, 90_000)));
      const storm = startBackendStorm(suite, lab, async () => {
        row.ahead += await lab.probe();
      });
      for (let i = 0; i < 12; i++) {
        await sleep(1000);
        lab.churn(suite.random);
      }
      row.injected = await storm.stop();
      const dead = workers.filter((w) => !w.alive());
      for (const w of dead) row.failures.push(`a worker died under the storm: ${crashSigns(w.output()) ?? w.output().slice(-300)}`);
      row.survived = dead.length === 0 ? row.injected : 0;
      const converged = await waitFor(
        async () => {
          const diff = await lab.diff();
          return diff.lost + diff.duplicated === 0;
        },
        90_000,
        500,
      );
      if (!converged && dead.length === 0) row.failures.push('the workers did not converge within 90 s after the storm');
      for (const w of workers) await stopWorker(w, row);
      await settleRow(lab, row);
      return [row];
    } finally {
      await lab.close();
    }
  },
};
