import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A Postgres cluster of one test's own, with password authentication; stopped by its pid. */
export interface PrivatePostgres {
  port: number;
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres`. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Whether a private cluster can be started here: `initdb` and `postgres` on the PATH, and, when running as root
 * (which Postgres refuses), a `postgres` user to run them as.
 */
export function canStartPrivatePostgres(): boolean {
  try {
    execFileSync('initdb', ['--version'], { stdio: 'ignore' });
    if (process.getuid?.() === 0) execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return true;
  } catch {
    return false; // not installed, or root without a postgres user: the caller skips
  }
}

/** initdb with scram-sha-256 for everyone, then `postgres` on `port` (127.0.0.1 and a socket in its directory). */
export async function startPrivatePostgres(options: { password: string; port: number }): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'nr-private-pg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${options.password}\n`);
  const user = process.getuid?.() === 0 ? runAsPostgres(dir, pwfile) : {};
  execFileSync('initdb', ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-N', '-E', 'UTF8'], {
    stdio: 'ignore',
    ...user,
  });
  const child: ChildProcess = spawn(
    'postgres',
    ['-D', data, '-p', String(options.port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'shared_buffers=16MB'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...user },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk) => {
      log += chunk;
      if (log.includes('ready to accept connections')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`postgres exited ${code}: ${log}`)));
  });
  child.stderr?.resume();
  return {
    port: options.port,
    url: `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT'); // fast shutdown
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** As root: the files go to the postgres user, and the processes run as it. */
function runAsPostgres(dir: string, pwfile: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  chownSync(dir, uid, gid);
  chownSync(pwfile, uid, gid);
  return { uid, gid };
}
