import type { Scenario } from '../scenario.js';
import { hostileMessages } from './hostile-messages.js';
import { hostileNames, longModelNames, systemColumnFields } from './hostile-names.js';
import { pgTerminateSync } from './pg-terminate-sync.js';
import { pgTerminateWorkers } from './pg-terminate-workers.js';
import { postgresRestart } from './postgres-restart.js';
import { redisRestartLong, redisRestartShort } from './redis-restart.js';
import { syncKillRerun } from './sync-kill-rerun.js';
import { workerSigkill } from './worker-sigkill.js';

/** Every scenario, in the order the runner executes them. */
export const SCENARIOS: Scenario[] = [
  workerSigkill,
  pgTerminateSync,
  pgTerminateWorkers,
  postgresRestart,
  redisRestartShort,
  redisRestartLong,
  syncKillRerun,
  hostileNames,
  systemColumnFields,
  longModelNames,
  hostileMessages,
];
