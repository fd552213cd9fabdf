import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { errorSummary } from '../../errors/error-summary.js';
import { abortableSleep } from '../../util/abortable-sleep.js';
import type { ReconcileSummary } from './reconcile-schedules.js';

export interface DiscoveryLoopDeps {
  redis: Redis;
  logger: Logger;
  /** One pass, e.g. `reconcileSchedules` bound to its deps. */
  reconcile(signal: AbortSignal): Promise<ReconcileSummary>;
  /**
   * Fleet-wide housekeeping run by the same lease holder each period before `reconcile`, e.g. `reapAbandonedRuns`
   * bound to its deps. Its failure is logged and does not stop the pass.
   */
  sweep?(signal: AbortSignal): Promise<void>;
}

export interface DiscoveryLoopOptions {
  /** Period between passes, ms. */
  everyMs: number;
  /** Redis key of the fleet's discovery lease. */
  leaseKey: string;
  /** Stored in the lease: who runs the pass. */
  owner: string;
}

export interface DiscoveryLoop {
  /** Stops the loop; a pass in flight is aborted between Redis calls. Idempotent. */
  close(): Promise<void>;
}

/**
 * Runs discovery (and the sweep, if given) now and then every `everyMs`, in at most one process of the fleet per period: a pass starts only
 * after taking a lease (`SET NX PX everyMs`) that nobody releases, so however many workers run, Nango is asked
 * once per period. If the process holding it dies, another takes the next period's lease.
 * A failed pass changes nothing and is logged; the next period tries again.
 */
export function startDiscoveryLoop(deps: DiscoveryLoopDeps, options: DiscoveryLoopOptions): DiscoveryLoop {
  const controller = new AbortController();
  const { signal } = controller;
  const noted = new Set<string>();

  async function pass(): Promise<void> {
    const leased = await deps.redis.set(options.leaseKey, options.owner, 'PX', options.everyMs, 'NX');
    if (leased !== 'OK') return;
    const started = performance.now();
    if (deps.sweep) {
      try {
        await deps.sweep(signal);
      } catch (error) {
        if (signal.aborted) return;
        deps.logger.error({ err: errorSummary(error) }, 'sweep failed; trying again next period');
      }
    }
    const summary = await deps.reconcile(signal);
    for (const note of summary.notes.filter((n) => !noted.has(n))) {
      noted.add(note);
      deps.logger.warn({ note }, 'discovery');
    }
    const { notes: _notes, ...counts } = summary;
    const changed = summary.added + summary.updated + summary.moved + summary.removed > 0;
    deps.logger[changed ? 'info' : 'debug']({ ...counts, ms: Math.round(performance.now() - started) }, 'discovery pass');
  }

  const loop = (async () => {
    while (!signal.aborted) {
      try {
        await pass();
      } catch (error) {
        if (signal.aborted) break;
        deps.logger.error({ err: errorSummary(error) }, 'discovery failed; schedules left as they were, trying again next period');
      }
      try {
        await abortableSleep(options.everyMs, signal);
      } catch {
        break; // aborted: closing
      }
    }
  })();

  return {
    async close() {
      controller.abort(new Error('discovery stopped'));
      await loop;
    },
  };
}
