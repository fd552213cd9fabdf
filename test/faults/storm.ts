import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultLab } from './fault-lab.js';
import type { FaultSuite } from './fault-suite.js';

/** A running storm of `pg_terminate_backend`s: every 1-2 s (random), the backends of the lab's processes. */
export interface BackendStorm {
  /** Stops it; resolves with how many times it terminated at least one backend. Rejects if the storm itself failed. */
  stop(): Promise<number>;
}

export function startBackendStorm(suite: FaultSuite, lab: FaultLab, afterEach?: () => Promise<void>): BackendStorm {
  let running = true;
  let hits = 0;
  let failure: unknown;
  const loop = (async () => {
    while (running) {
      await sleep(suite.between(1000, 2000));
      if (!running) break;
      try {
        if ((await lab.terminateBackends()) > 0) hits++;
        await afterEach?.();
      } catch (error) {
        failure ??= error;
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      if (failure !== undefined) throw failure;
      return hits;
    },
  };
}
