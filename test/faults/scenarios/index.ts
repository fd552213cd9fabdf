import type { Scenario } from '../scenario.js';
import { workerSigkill } from './worker-sigkill.js';

/** Every scenario, in the order the runner executes them. */
export const SCENARIOS: Scenario[] = [workerSigkill];
