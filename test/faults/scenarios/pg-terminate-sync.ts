import { openFaultLab } from '../fault-lab.js';
import { crashSigns } from '../replicator-process.js';
import { emptyRow, type Scenario } from '../scenario.js';
import { startBackendStorm } from '../storm.js';
import { settleRow } from '../settle-row.js';

/**
 * `pg_terminate_backend` of the `sync` process's connections every 1-2 s while it reads (a failover, pgbouncer, an
 * idle timeout, an admin): the run must fail cleanly or retry, never crash, and a re-run converges.
 */
export const pgTerminateSync: Scenario = {
  name: 'pg-terminate-sync',
  async run(suite) {
    const row = emptyRow('pg_terminate_backend storm under sync');
    const lab = await openFaultLab(suite, {
      label: 'pgterm_sync',
      streams: [
        { providerConfigKey: 'helpdesk', connectionId: 'acme', model: 'Ticket' },
        { providerConfigKey: 'helpdesk', connectionId: 'globex', model: 'Ticket' },
      ],
    });
    try {
      lab.seed(1500);
      lab.standIn.faults.delayNext(1_000_000, 40, { pathPrefix: '/records' });
      const storm = startBackendStorm(suite, lab, async () => {
        row.ahead += await lab.probe();
      });
      let crashes = 0;
      for (let run = 1; run <= 6; run++) {
        const sync = lab.sync({ REDIS_URL: undefined });
        const exit = await sync.done;
        const crash = crashSigns(sync.output());
        if (crash !== null || (exit.code !== 0 && exit.code !== 1)) {
          crashes++;
          row.failures.push(`sync run ${run} crashed (exit ${exit.code ?? exit.signal}): ${crash ?? sync.output().slice(-300)}`);
        }
        if (exit.code === 0 && run >= 3) break;
        lab.churn(suite.random);
      }
      row.injected = await storm.stop();
      row.survived = Math.max(0, row.injected - crashes);
      await settleRow(lab, row);
      return [row];
    } finally {
      await lab.close();
    }
  },
};
