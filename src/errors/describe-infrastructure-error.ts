import type { Secret } from '../config/secret.js';
import { ReplicatorError } from './replicator-error.js';

/** Which service failed, and the setting that names it: what the operator fixes. */
export type InfrastructureSetting =
  | { service: 'postgres'; url: Secret }
  | { service: 'redis'; url: Secret }
  | { service: 'http'; port: number; /** The variable that chose the port. Default `PORT`. */ setting?: 'PORT' | 'ADMIN_PORT' };

/**
 * A failure to reach or use Postgres, Redis or the HTTP port, as a ReplicatorError whose message names the service,
 * the setting (DATABASE_URL, REDIS_URL, PORT, ADMIN_PORT), where it points (host:port, never a user's password) and the next
 * step; `cause` keeps the original. Recognised by code only: Node's system error code (ECONNREFUSED...), Postgres'
 * SQLSTATE, or Redis' error reply code, found on the error or its causes. Anything else is returned unchanged.
 */
export function describeInfrastructureError(error: unknown, setting: InfrastructureSetting): unknown {
  const found = findCode(error);
  if (found === null) return error;
  const described =
    setting.service === 'postgres'
      ? describePostgres(found, setting.url)
      : setting.service === 'redis'
        ? describeRedis(found, setting.url)
        : describeHttp(found.code, setting.port, setting.setting ?? 'PORT');
  if (described === null) return error;
  return new ReplicatorError(described.code, described.message, { retry: described.retry, cause: error, details: { cause: found.code } });
}

/** Runs `operation`; what it throws goes through {@link describeInfrastructureError}. */
export async function withInfrastructureErrors<T>(setting: InfrastructureSetting, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw describeInfrastructureError(error, setting);
  }
}

interface Described {
  code: string;
  message: string;
  retry: 'transient' | 'terminal';
}

interface FoundCode {
  code: string;
  /** The error that carried the code: a server's own message for SQLSTATEs. */
  error: { message?: unknown };
}

/** Node's codes for a host that could not be reached. */
const UNREACHABLE = new Set(['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN']);

/**
 * The first code of `error`, its `cause`s, or the errors of an AggregateError (Node reports a refused `localhost`,
 * tried on ::1 and 127.0.0.1, as one): a Node system code, a SQLSTATE, or the first word of a Redis error reply,
 * which the protocol defines as the error's code (WRONGPASS, NOAUTH). The replicator's own codes are skipped.
 */
export function findCode(error: unknown, depth = 0): FoundCode | null {
  if (typeof error !== 'object' || error === null || depth > 5) return null;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (!(error instanceof ReplicatorError)) {
    if (typeof code === 'string' && code !== '') return { code, error: error as FoundCode['error'] };
    if (name === 'ReplyError' && typeof message === 'string') return { code: redisReplyCode(message), error: error as FoundCode['error'] };
  }
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) {
    for (const inner of nested) {
      const found = findCode(inner, depth + 1);
      if (found !== null) return found;
    }
  }
  return findCode((error as { cause?: unknown }).cause, depth + 1);
}

/** RESP: an error reply's first word, upper case, is its code (`-WRONGPASS invalid username-password pair`). */
function redisReplyCode(message: string): string {
  return message.split(' ', 1)[0] ?? '';
}

/** `host:port` and the user of a URL, never its password; null when the text is not a URL. */
export function urlTarget(url: Secret, defaultPort: number): { where: string; host: string; user: string; path: string } | null {
  const text = url.reveal();
  if (!URL.canParse(text)) return null;
  const parsed = new URL(text);
  const host = parsed.hostname || 'localhost';
  return {
    where: `${host}:${parsed.port || defaultPort}`,
    host,
    user: decodeURIComponent(parsed.username),
    path: decodeURIComponent(parsed.pathname.slice(1)),
  };
}

function describePostgres({ code, error }: FoundCode, url: Secret): Described | null {
  const target = urlTarget(url, 5432);
  if (code === 'ERR_INVALID_URL' || target === null) {
    return {
      code: 'postgres_url_invalid',
      message:
        'DATABASE_URL is not a valid URL (its value is not shown: it may hold a password). Write it as ' +
        'postgres://user:password@host:5432/database, with special characters of the password percent-encoded.',
      retry: 'terminal',
    };
  }
  const at = `Postgres (DATABASE_URL, ${target.where})`;
  const user = target.user || 'postgres';
  const database = target.path || user;
  const serverSays = typeof error.message === 'string' ? error.message : code;
  switch (code) {
    case 'ECONNREFUSED':
      return {
        code: 'postgres_unreachable',
        retry: 'transient',
        message: `${at} refused the connection: is Postgres running there? Start it, or set DATABASE_URL to your server.`,
      };
    case 'ENOTFOUND':
      return {
        code: 'postgres_unreachable',
        retry: 'terminal',
        message: `${at}: the host name ${target.host} does not resolve (ENOTFOUND). Fix the host in DATABASE_URL.`,
      };
    case '3D000':
      return {
        code: 'postgres_database_missing',
        retry: 'terminal',
        message: `${at} has no database "${database}": create it (createdb -h ${target.host} -U ${user} ${database}), or fix the database name in DATABASE_URL.`,
      };
    case '28P01':
      return {
        code: 'postgres_auth_failed',
        retry: 'terminal',
        message: `${at} refused the password of user "${user}": fix the user or the password in DATABASE_URL.`,
      };
    case '28000':
      return {
        code: 'postgres_auth_failed',
        retry: 'terminal',
        message: `${at} refused user "${user}" (${serverSays}): fix the user in DATABASE_URL, or create the role and allow it in pg_hba.conf.`,
      };
    case '53300':
    case '57P03':
      return {
        code: 'postgres_unreachable',
        retry: 'transient',
        message: `${at} does not take connections now (${serverSays}); try again shortly.`,
      };
  }
  if (UNREACHABLE.has(code)) {
    return {
      code: 'postgres_unreachable',
      retry: 'transient',
      message: `${at} could not be reached (${code}): check the host and port in DATABASE_URL, and that the network lets this machine in.`,
    };
  }
  return null;
}

function describeRedis({ code }: FoundCode, url: Secret): Described | null {
  const target = urlTarget(url, 6379);
  const at = `Redis (REDIS_URL, ${target?.where ?? 'the server it names'})`;
  switch (code) {
    case 'ECONNREFUSED':
      return {
        code: 'redis_unreachable',
        retry: 'transient',
        message: `${at} refused the connection: is Redis running there? Start it, or set REDIS_URL to your server.`,
      };
    case 'ENOTFOUND':
      return {
        code: 'redis_unreachable',
        retry: 'terminal',
        message: `${at}: the host name ${target?.host ?? ''} does not resolve (ENOTFOUND). Fix the host in REDIS_URL.`,
      };
    case 'WRONGPASS':
      return {
        code: 'redis_auth_failed',
        retry: 'terminal',
        message: `${at} is reachable but refused the password (WRONGPASS): fix the password in REDIS_URL (redis://:password@host:port, or redis://user:password@host:port for an ACL user).`,
      };
    case 'NOAUTH':
      return {
        code: 'redis_auth_failed',
        retry: 'terminal',
        message: `${at} is reachable but requires a password, and REDIS_URL gives none (NOAUTH): add it, as redis://:password@host:port.`,
      };
  }
  if (UNREACHABLE.has(code)) {
    return {
      code: 'redis_unreachable',
      retry: 'transient',
      message: `${at} could not be reached (${code}): check the host and port in REDIS_URL, and that the network lets this machine in.`,
    };
  }
  return null;
}

function describeHttp(code: string, port: number, name: 'PORT' | 'ADMIN_PORT'): Described | null {
  if (code === 'EADDRINUSE') {
    return {
      code: 'port_in_use',
      retry: 'terminal',
      message: `${name} ${port} is in use by another process (EADDRINUSE): stop that process, or set ${name} to a free port (${name}=0 picks one).`,
    };
  }
  if (code === 'EACCES') {
    return {
      code: 'port_not_allowed',
      retry: 'terminal',
      message: `${name} ${port} needs privileges this process lacks (EACCES): set ${name} to a port above 1023.`,
    };
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return {
      code: 'host_not_available',
      retry: 'terminal',
      message: `${name} ${port}: the address to bind is not one of this machine's (${code}): fix ADMIN_HOST (127.0.0.1, or 0.0.0.0 in a container).`,
    };
  }
  return null;
}

/**
 * Codes of a Nango host that cannot be reached at all: its name does not resolve, or nothing listens there. A
 * one-shot command fails at once on them (see `NangoHttpOptions.failFastWhenUnreachable`); a worker retries.
 */
export const NANGO_HOST_UNREACHABLE_CODES: ReadonlySet<string> = new Set(['nango_host_not_found', 'nango_connection_refused']);

/**
 * A request to Nango that got no response (`fetch` failed): the error names NANGO_HOST and says what to check.
 * All are transient (a resolver or a server can come back); whether to retry is the caller's policy.
 */
export function describeNangoTransportError(error: unknown, request: { host: string; method: string; path: string }): ReplicatorError {
  const found = findCode(error);
  const host = displayHost(request.host);
  const what = `${request.method} ${request.path}`;
  const details = { path: request.path, ...(found === null ? {} : { cause: found.code }) };
  if (found?.code === 'ENOTFOUND') {
    const name = URL.canParse(request.host) ? new URL(request.host).hostname : request.host;
    return new ReplicatorError(
      'nango_host_not_found',
      `NANGO_HOST (${host}): the host name ${name} does not resolve (ENOTFOUND, on ${what}). Set NANGO_HOST to the ` +
        "Nango API URL: https://api.nango.dev for Nango Cloud, or your self-hosted server's.",
      { retry: 'transient', cause: error, details },
    );
  }
  if (found?.code === 'ECONNREFUSED') {
    return new ReplicatorError(
      'nango_connection_refused',
      `Nango (NANGO_HOST, ${host}) refused the connection (ECONNREFUSED, on ${what}): is Nango running there, and is NANGO_HOST its API URL?`,
      { retry: 'transient', cause: error, details },
    );
  }
  const reason = found !== null ? found.code : error instanceof Error ? error.message : String(error);
  return new ReplicatorError(
    'nango_unreachable',
    `Nango (NANGO_HOST, ${host}) could not be reached (${reason}, on ${what}): check NANGO_HOST and the network between this machine and Nango.`,
    { retry: 'transient', cause: error, details },
  );
}

/** A host URL as shown to the operator: scheme, host, port and path, never a user or password in it. */
export function displayHost(host: string): string {
  if (!URL.canParse(host)) return host;
  const url = new URL(host);
  return `${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
}
