import { setTimeout as sleep } from 'node:timers/promises';
import { openFaultLab, waitFor } from '../fault-lab.js';
import { crashSigns } from '../replicator-process.js';
import { emptyRow, type Scenario } from '../scenario.js';
import { settleRow } from '../settle-row.js';

const KILLS = Number(process.env.FAULTS_KILLS ?? 32);

/**
 * A worker SIGKILLed again and again at random instants while a /records request or a page transaction is in flight,
 * the source changing between kills, a backfill queued now and then: each new worker resumes from what the dead one
 * committed, and nothing is lost, duplicated or invented.
 */
export const workerSigkill: Scenario = {
  name: 'worker-sigkill',
  async run(suite) {
    const row = emptyRow(`SIGKILL worker mid-request/mid-page (${KILLS}x, syncs + backfill)`);
    const lab = await openFaultLab(suite, {
      label: 'sigkill',
      streams: [
        { providerConfigKey: 'helpdesk', connectionId: 'acme', model: 'Ticket' },
        { providerConfigKey: 'helpdesk', connectionId: 'globex', model: 'Ticket' },
      ],
    });
    try {
      lab.seed(800);
      // Every /records answer waits a little, so requests are in flight long enough to be hit.
      lab.standIn.faults.delayNext(1_000_000, 15, { pathPrefix: '/records' });
      for (let i = 0; i < KILLS; i++) {
        if (i > 0) lab.churn(suite.random);
        const worker = lab.worker();
        const since = lab.standIn.requests.length;
        if (i % 8 === 5) {
          await worker.waitForLine(/"msg":"worker started"/, 60_000);
          const backfill = lab.spawn('backfill', ['backfill', '--integration', 'helpdesk', '--mode', 'merge']);
          const exit = await backfill.done;
          if (exit.code !== 0) row.failures.push(`backfill could not be queued: exit ${exit.code}`);
        }
        const target = i % 2 === 0 ? 'records' : 'page';
        const hit = await waitFor(
          async () => !worker.alive() || (target === 'records' ? lab.recordsInFlight(since) : await lab.pageTransactionInFlight()),
          60_000,
          target === 'records' ? 2 : 5,
        );
        await sleep(suite.between(0, 20));
        const diedEarly = !worker.alive();
        await worker.kill('SIGKILL');
        row.injected++;
        if (diedEarly) {
          row.failures.push(`worker ${i} died before its kill: ${crashSigns(worker.output()) ?? worker.output().slice(-300)}`);
          continue;
        }
        if (!hit) suite.log(`kill ${i}: no ${target} in flight within 60 s; killed anyway`);
        if (process.env.FAULTS_VERBOSE) suite.log(`kill ${i}: ${target} hit=${hit}`);
        row.survived++;
        row.ahead += await lab.probe();
      }
      const examples = await settleRow(lab, row);
      if (examples.length > 0) suite.log(`worker-sigkill: ${examples.join('; ')}`);
      return [row];
    } finally {
      await lab.close();
    }
  },
};
