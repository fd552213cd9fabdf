import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { mulberry32 } from '../../stand-in/mulberry32.js';
import type { ReplicatorProcess } from './replicator-process.js';

/** The shared Postgres the suite's databases live on (trust auth here and in CI). */
export const SHARED_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The shared Redis; scenarios use key prefixes of their own on it, or a private server. */
export const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * What every scenario shares: the secrets the processes are given (scanned for in their output at the end), a
 * login role with a password that owns every database of the run, and the seeded random source.
 */
export interface FaultSuite {
  nangoKey: string;
  signingKey: string;
  /** ADMIN_TOKEN of every worker: guards its admin door, and must never be printed either. */
  adminToken: string;
  /** Every process the scenarios started, for the secret scan and for cleanup. */
  processes: ReplicatorProcess[];
  role: string;
  password: string;
  seed: number;
  random: () => number;
  /** A random integer in [min, max]. */
  between(min: number, max: number): number;
  /** Creates the password role on a server (idempotent). */
  ensureRole(adminUrl: string): Promise<void>;
  log(text: string): void;
  /**
   * Registers what must be undone even if the run is interrupted (a database, a private server); returns the
   * function that unregisters it once done normally.
   */
  deferCleanup(cleanup: () => Promise<void>): () => void;
  /** Runs the cleanups still registered (an interrupted run), then drops the password role. */
  close(): Promise<void>;
}

export async function openFaultSuite(seed: number): Promise<FaultSuite> {
  const role = `nr_faults_${randomBytes(4).toString('hex')}`;
  // Characters a careless URL or log formatter would mangle or print: the scan must find them anywhere.
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const random = mulberry32(seed); // seeded, so a failing run can be replayed with FAULTS_SEED
  const rolesMade = new Set<string>();
  const cleanups = new Set<() => Promise<void>>();
  const suite: FaultSuite = {
    nangoKey: randomUUID(),
    processes: [],
    signingKey: `whsec-${randomBytes(16).toString('hex')}`,
    adminToken: randomBytes(24).toString('hex'),
    role,
    password,
    seed,
    random,
    between: (min, max) => min + Math.floor(random() * (max - min + 1)),
    async ensureRole(adminUrl) {
      if (rolesMade.has(adminUrl)) return;
      await adminQuery(adminUrl, `CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      rolesMade.add(adminUrl);
    },
    log: (text) => process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${text}\n`),
    deferCleanup(cleanup) {
      cleanups.add(cleanup);
      return () => cleanups.delete(cleanup);
    },
    async close() {
      for (const cleanup of [...cleanups].reverse()) await cleanup().catch(() => undefined);
      cleanups.clear();
      for (const adminUrl of rolesMade) await adminQuery(adminUrl, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    },
  };
  return suite;
}

export async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
