import type { FaultLab } from './fault-lab.js';
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
