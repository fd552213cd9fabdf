import type { Queue } from 'bullmq';

/**
 * What the sync jobs that finished since `sinceMs` (epoch ms) did, by trigger and outcome (`schedule synced 12,
 * schedule not-due 1890, manual synced 40`), from the completed jobs BullMQ keeps (the latest 1,000: a window
 * busier than that is described by its end only, and the line says how far back it reaches).
 */
export async function describeFinishedJobs(queue: Queue, sinceMs: number): Promise<string> {
  const jobs = (await queue.getJobs(['completed'], 0, 999)).filter((job) => (job?.finishedOn ?? 0) >= sinceMs);
  if (jobs.length === 0) return 'no sync job finished';
  const counts = new Map<string, number>();
  let earliest = Infinity;
  for (const job of jobs) {
    const trigger = String((job.data as { trigger?: unknown }).trigger ?? 'manual');
    const outcome = String((job.returnvalue as { outcome?: unknown } | null)?.outcome ?? 'unknown');
    counts.set(`${trigger} ${outcome}`, (counts.get(`${trigger} ${outcome}`) ?? 0) + 1);
    earliest = Math.min(earliest, job.finishedOn ?? Infinity);
  }
  const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${kind} ${n}`);
  return `${jobs.length} finished over the last ${((Date.now() - earliest) / 1000).toFixed(0)} s: ${parts.join(', ')}`;
}

/** The jobs waiting for a worker now (not the schedulers' delayed ticks), by trigger. */
export async function describeQueuedJobs(queue: Queue): Promise<string> {
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
  const waiting = await queue.getJobs(['waiting', 'prioritized'], 0, -1);
  const byTrigger = new Map<string, number>();
  for (const job of waiting) {
    const trigger = String((job?.data as { trigger?: unknown } | undefined)?.trigger ?? 'manual');
    byTrigger.set(trigger, (byTrigger.get(trigger) ?? 0) + 1);
  }
  const triggers = [...byTrigger].map(([t, n]) => `${t} ${n}`).join(', ');
  return `${(counts.waiting ?? 0) + (counts.prioritized ?? 0)} waiting (${triggers || 'none'}), ${counts.active ?? 0} active, ${counts.delayed ?? 0} delayed`;
}
