import type { FaultSuite } from './fault-suite.js';

/** One row of the survival table. */
export interface SurvivalRow {
  fault: string;
  /** How many times the fault was injected. */
  injected: number;
  /** How many injections the processes survived (no crash, converged afterwards). */
  survived: number;
  lost: number;
  duplicated: number;
  /** Invariant-probe observations of a stream cursor ahead of its rows. */
  ahead: number;
  /** A process died of a fault it should survive, or the scenario could not finish. */
  failures: string[];
}

/** One fault scenario: runs on its own database, stand-in and Redis keys, and returns its rows. */
export interface Scenario {
  name: string;
  run(suite: FaultSuite): Promise<SurvivalRow[]>;
}

/** A row with nothing counted yet. */
export function emptyRow(fault: string): SurvivalRow {
  return { fault, injected: 0, survived: 0, lost: 0, duplicated: 0, ahead: 0, failures: [] };
}

/** True when the row shows nothing lost, duplicated or ahead, every injection survived, and no failure. */
export function rowPassed(row: SurvivalRow): boolean {
  return row.lost === 0 && row.duplicated === 0 && row.ahead === 0 && row.failures.length === 0 && row.survived === row.injected;
}
