import { setTimeout as sleep } from 'node:timers/promises';
import { openFaultLab, waitFor } from '../fault-lab.js';
import { startPrivateRedis } from '../private-redis.js';
import { crashSigns } from '../replicator-process.js';
import { emptyRow, type Scenario } from '../scenario.js';
import { settleRow, stopWorker } from '../settle-row.js';

/** A request already past the rate-limit gate when Redis dies may still arrive this long after. */
const IN_FLIGHT_GRACE_MS = 300;

/**
 * A private Redis killed while the worker reads, down for `downMs` (the lock expiry is 30 s), then started again
 * empty: no Nango request is sent while it is down (no token can be taken), the worker survives, rebuilds its
 * schedules in the empty Redis and converges.
 */
function redisRestart(name: string, downMs: number): Scenario {
  return {
    name,
    async run(suite) {
      const row = emptyRow(`Redis killed, restarted empty after ${downMs / 1000} s (lock expiry 30 s)`);
      const redis = await startPrivateRedis();
      const undefer = suite.deferCleanup(() => redis.kill());
      try {
        const lab = await openFaultLab(suite, {
          label: name.replace(/-/g, '_'),
          redisUrl: redis.url,
          worker: '  concurrency: 2\n  slice: 5\n  lockDuration: 30s\n  shutdownTimeout: 10s\n  backoff: 100ms\n  attempts: 10',
          streams: ['acme', 'globex'].map((connectionId) => ({ providerConfigKey: 'helpdesk', connectionId, model: 'Ticket' })),
        });
        try {
          lab.seed(1000);
          lab.standIn.faults.delayNext(1_000_000, 20, { pathPrefix: '/records' });
          const worker = lab.worker();
          await worker.waitForLine(/"msg":"worker started"/, 90_000);
          const since = lab.standIn.requests.length;
          await waitFor(() => lab.recordsInFlight(since), 60_000, 2);
          await redis.kill();
          const downAt = Date.now();
          row.injected++;
          const fromIndex = lab.standIn.requests.length;
          await sleep(downMs / 2);
          lab.churn(suite.random);
          await sleep(downMs / 2);
          const upAt = Date.now();
          const whileDown = lab.standIn.requests.slice(fromIndex).filter((r) => r.at > downAt + IN_FLIGHT_GRACE_MS && r.at < upAt);
          await redis.start();
          if (whileDown.length > 0)
            row.failures.push(`${whileDown.length} Nango requests sent while Redis was down (first: ${whileDown[0]?.path})`);
          const converged = await waitFor(
            async () => {
              if (!worker.alive()) return true;
              const diff = await lab.diff();
              return diff.lost + diff.duplicated === 0;
            },
            120_000,
            500,
          );
          if (!worker.alive())
            row.failures.push(`the worker died of the outage: ${crashSigns(worker.output()) ?? worker.output().slice(-300)}`);
          else if (!converged) row.failures.push('the worker did not converge within 120 s after Redis came back');
          else row.survived++;
          row.ahead += await lab.probe();
          await stopWorker(worker, row);
          await settleRow(lab, row);
          return [row];
        } finally {
          await lab.close();
        }
      } finally {
        undefer();
        await redis.kill();
      }
    },
  };
}

export const redisRestartShort = redisRestart('redis-restart-5s', 5_000);
export const redisRestartLong = redisRestart('redis-restart-35s', 35_000);
