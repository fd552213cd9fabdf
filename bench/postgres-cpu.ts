import { readdirSync, readFileSync } from 'node:fs';

/** Linux's unit for the times in /proc/<pid>/stat (USER_HZ), 100 on every architecture the bench runs on. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, of the processes and their reaped children) of every process of this machine named
 * `postgres...` (the postmaster, backends, WAL writer, checkpointer), in ms, read from /proc; null where there is no
 * /proc or no such process is visible (another OS, a database on another host). The difference of two readings is
 * what Postgres spent between them, provided nothing else uses this server meanwhile, as during a bench run.
 * A backend that exits between the readings takes its time along, except what its parent reaps into its own.
 */
export function postgresCpuMs(): number | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  let ticks = 0;
  let seen = false;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (!name.startsWith('postgres')) continue;
    // Fields after the name: state is the 3rd field of the line; utime, stime, cutime, cstime are the 14th to 17th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    seen = true;
  }
  return seen ? (ticks * 1000) / TICKS_PER_SECOND : null;
}

/**
 * Postgres' CPU ms since the reading `before`; null where either cannot be read. Read it while the connections that
 * did the work are still open: a backend that has exited may not have been reaped into the postmaster's time yet.
 */
export function postgresSince(before: number | null): number | null {
  const now = postgresCpuMs();
  return before === null || now === null ? null : now - before;
}
