import type { FaultLab } from './fault-lab.js';
import type { ReplicatorProcess } from './replicator-process.js';
import type { SurvivalRow } from './scenario.js';

/**
 * How every scenario ends: a final convergence run, one last invariant probe, and the diff against the source,
 * counted into `row`. Returns the diff's examples of what differs, for the log.
 */
export async function settleRow(lab: FaultLab, row: SurvivalRow): Promise<string[]> {
  const failure = await lab.converge();
  if (failure) row.failures.push(failure);
  row.ahead += await lab.probe();
  const diff = await lab.diff();
  row.lost = diff.lost;
  row.duplicated = diff.duplicated;
  return diff.examples;
}

/** Stops a worker that is still alive with SIGTERM, as an orchestrator would: anything but exit 0 fails the row. */
export async function stopWorker(worker: ReplicatorProcess, row: SurvivalRow): Promise<void> {
  if (!worker.alive()) return;
  const exit = await worker.kill('SIGTERM');
  if (exit.code !== 0) row.failures.push(`${worker.label} exited ${exit.code ?? exit.signal} on SIGTERM`);
}
