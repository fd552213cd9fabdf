import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { processIdentityOf, type ProcessIdentity, readProcessIdentity } from '../../src/lock/process-identity.js';

/** A process of this machine that has exited, and its identity as it was while it ran (a dead lock holder). */
export async function deadProcess(): Promise<ProcessIdentity> {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const identity = processIdentityOf(child.pid ?? 0, readProcessIdentity());
  assert.ok(identity !== null, 'this machine has /proc');
  child.kill('SIGKILL');
  await once(child, 'exit');
  return identity;
}
