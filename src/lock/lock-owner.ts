import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ProcessIdentity } from './process-identity.js';

/**
 * What a lock's value (its token) says about its holder. Stored as JSON, e.g.
 * `{"owner":"worker-7:4242 job 17","id":"<uuid>","process":{"bootId":…,"pidNamespace":…,"pid":4242,"startTicks":…}}`.
 */
export interface LockToken {
  /** For operators: `<host>:<pid> <role>`, e.g. `worker-7:4242 job 17`, `laptop:311 cli sync`. */
  owner: string;
  /** The holding process, to tell whether it still exists; null when it has no identity (see `ProcessIdentity`). */
  process: ProcessIdentity | null;
}

const processIdentitySchema = z.object({
  bootId: z.string().min(1),
  pidNamespace: z.string().min(1),
  pid: z.number().int().positive(),
  startTicks: z.string().regex(/^\d+$/),
});
const tokenSchema = z.object({ owner: z.string(), id: z.string(), process: processIdentitySchema.nullable() });

/** A fresh token: a holding of `owner` by `process`, unique (a random id), so a holder recognises its own. */
export function encodeLockToken(owner: string, process: ProcessIdentity | null): string {
  return JSON.stringify({ owner, id: randomUUID(), process });
}

/**
 * Reads a token. One written by an earlier version (`<owner> <uuid>`) or by something else has no process: its
 * holder can't be checked, so its lock is never taken over, only left to expire.
 */
export function parseLockToken(token: string): LockToken {
  let json: unknown;
  try {
    json = JSON.parse(token);
  } catch {
    json = undefined; // not JSON: the earlier `<owner> <uuid>`
  }
  const parsed = tokenSchema.safeParse(json);
  if (parsed.success) return { owner: parsed.data.owner, process: parsed.data.process };
  return { owner: token.replace(/ [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, ''), process: null };
}

/** The owner part of a lock's token (see {@link LockToken.owner}): what an operator needs to find the holder. */
export function lockOwner(token: string): string {
  return parseLockToken(token).owner;
}
