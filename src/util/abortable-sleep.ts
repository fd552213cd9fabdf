import { setTimeout as sleep } from 'node:timers/promises';

/** Waits `ms` milliseconds, or rejects with the signal's reason as soon as it aborts. */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, undefined, signal ? { signal } : undefined).catch((error: unknown) => {
    if (signal?.aborted) throw signal.reason;
    throw error;
  });
}
