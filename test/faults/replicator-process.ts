import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../workers/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `nango-replicator` child process (sync, worker, backfill), started from the sources as a user would. */
export interface ReplicatorProcess {
  label: string;
  child: ChildProcess;
  done: Promise<ProcessExit>;
  /** Everything it printed so far, stdout then stderr interleaved as received. */
  output(): string;
  alive(): boolean;
  /** Resolves with the first output line matching `pattern`; rejects after `timeoutMs` or when the process exits. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL now, resolved when the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<ProcessExit>;
}

/** Starts `nango-replicator <args>` and adds it to `started` (the suite's list, for the secret scan and cleanup). */
export function spawnReplicator(
  label: string,
  args: string[],
  env: Record<string, string>,
  started: ReplicatorProcess[],
): ReplicatorProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let exited = false;
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const done = new Promise<ProcessExit>((resolve) =>
    child.on('close', (code, signal) => {
      exited = true;
      for (const listener of [...listeners]) listener();
      resolve({ code, signal });
    }),
  );
  const proc: ReplicatorProcess = {
    label,
    child,
    done,
    output: () => text,
    alive: () => !exited && child.exitCode === null && child.signalCode === null,
    waitForLine: (pattern, timeoutMs = 60_000) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = text.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) return finish(() => resolve(line));
          if (exited) finish(() => reject(new Error(`${label} exited before printing ${pattern}:\n${text.slice(-3000)}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${label}: no line matching ${pattern} within ${timeoutMs} ms:\n${text.slice(-3000)}`))),
          timeoutMs,
        );
        const finish = (then: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        check();
      }),
    kill: async (signal = 'SIGKILL') => {
      if (proc.alive()) child.kill(signal);
      return done;
    },
  };
  started.push(proc);
  return proc;
}

/** Signs of a process that died of an error it did not handle (a crash, not a reported failure). */
export function crashSigns(output: string): string | null {
  const match = /Unhandled 'error' event|UnhandledPromiseRejection|uncaughtException|^\s+at .+:\d+:\d+\)?$/m.exec(output);
  return match === null ? null : match[0].trim();
}
