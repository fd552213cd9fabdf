import { spawn } from 'node:child_process';
import type { SyncChildConfig, SyncChildResult } from './sync-child.js';
/** No sync in the bench should take longer; past it the child is killed and the bench fails. */
const CHILD_TIMEOUT_MS = 30 * 60_000;

/**
 * Runs one product sync in a child process (`childPath`: the compiled sync-child, started with `nodeFlags`)
 * and returns what it reports. Rejects if it fails.
 */
export function runSyncChild(childPath: string, config: SyncChildConfig, nodeFlags: ReadonlyArray<string> = []): Promise<SyncChildResult> {
  const child = spawn(process.execPath, [...nodeFlags, childPath, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: CHILD_TIMEOUT_MS,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').at(-1);
      if (code !== 0 || !line) {
        reject(new Error(`sync child exited ${code ?? signal}: ${stderr.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line) as SyncChildResult);
    });
  });
}
