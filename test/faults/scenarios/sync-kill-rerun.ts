import { openFaultLab, waitFor } from '../fault-lab.js';
import { crashSigns } from '../replicator-process.js';
import { emptyRow, type Scenario, type SurvivalRow } from '../scenario.js';
import type { FaultLab } from '../fault-lab.js';
import type { FaultSuite } from '../fault-suite.js';

const KILLS = 4;

/**
 * `sync` SIGKILLed mid-request or mid-page and run again at once, as a cron or a shell loop would: the re-run must
 * read on from the stored cursor and finish (exit 0), with REDIS_URL (locks) and without.
 */
export const syncKillRerun: Scenario = {
  name: 'sync-kill-rerun',
  async run(suite) {
    const lab = await openFaultLab(suite, {
      label: 'sync_kill',
      // The default lock expiry: a re-run must not wait for a dead holder's lock to run out.
      worker: '  concurrency: 2\n  slice: 5\n  lockDuration: 30s\n  shutdownTimeout: 10s\n  backoff: 100ms\n  attempts: 10',
      streams: ['acme', 'globex'].map((connectionId) => ({ providerConfigKey: 'helpdesk', connectionId, model: 'Ticket' })),
    });
    try {
      lab.seed(1000);
      lab.standIn.faults.delayNext(1_000_000, 20, { pathPrefix: '/records' });
      const rows = [
        await killAndRerun(suite, lab, 'without REDIS_URL', { REDIS_URL: undefined }),
        await killAndRerun(suite, lab, 'with REDIS_URL', {}),
      ];
      const failure = await lab.converge();
      if (failure) rows[1]?.failures.push(failure);
      const ahead = await lab.probe();
      const diff = await lab.diff();
      const last = rows[1] as SurvivalRow;
      last.ahead += ahead;
      last.lost = diff.lost;
      last.duplicated = diff.duplicated;
      return rows;
    } finally {
      await lab.close();
    }
  },
};

async function killAndRerun(
  suite: FaultSuite,
  lab: FaultLab,
  variant: string,
  env: Record<string, string | undefined>,
): Promise<SurvivalRow> {
  const row = emptyRow(`sync SIGKILLed and re-run at once, ${variant} (${KILLS}x)`);
  for (let i = 0; i < KILLS; i++) {
    lab.churn(suite.random);
    if (i === 0) lab.seed(300);
    const since = lab.standIn.requests.length;
    const sync = lab.sync(env);
    await waitFor(async () => !sync.alive() || (i % 2 === 0 ? lab.recordsInFlight(since) : await lab.pageTransactionInFlight()), 60_000, 3);
    await new Promise((resolve) => setTimeout(resolve, suite.between(0, 20)));
    const finishedFirst = !sync.alive();
    await sync.kill('SIGKILL');
    row.injected++;
    if (finishedFirst) suite.log(`sync-kill-rerun: run ${i} finished before its kill`);
    const rerun = lab.sync(env);
    const exit = await rerun.done;
    if (exit.code === 0) row.survived++;
    else
      row.failures.push(
        `re-run ${i + 1} ${variant} exited ${exit.code ?? exit.signal}: ${(crashSigns(rerun.output()) ?? lastLines(rerun.output())).slice(0, 300)}`,
      );
    row.ahead += await lab.probe();
  }
  return row;
}

/** The lines that say why a run did not finish: its skip or failure messages, else its last lines. */
function lastLines(text: string): string {
  const lines = text.trim().split('\n');
  const telling = lines.filter((l) => /skipped|failed|another process/i.test(l) && !l.startsWith('{'));
  return (telling.length > 0 ? telling : lines.slice(-2)).join(' | ');
}
