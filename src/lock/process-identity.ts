import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Which process holds a lock, precisely enough to tell later, from another process, that it no longer exists.
 * A host name plus a pid is not: hosts share names (containers), pids repeat across pid namespaces, and a pid is
 * reused once its process is gone. Linux only (read from /proc); elsewhere a process has none.
 */
export interface ProcessIdentity {
  /** The running kernel's boot id (`/proc/sys/kernel/random/boot_id`): another value is another machine or a reboot. */
  bootId: string;
  /** The pid namespace (`/proc/self/ns/pid`, e.g. `pid:[4026531836]`): a pid names the same process only inside it. */
  pidNamespace: string;
  pid: number;
  /** The process's start time, clock ticks after boot (`/proc/<pid>/stat`, field 22): a reused pid has another. */
  startTicks: string;
}

/** What can be known, from this process, about the process a lock names. */
export type HolderProcessState =
  /** It no longer exists (or is a zombie): its lock may be taken over. */
  | 'gone'
  /** It runs, or it may (it could not be checked: another user's process hidden by `hidepid`). */
  | 'running'
  /** It is on another machine or in another pid namespace, or one of the two has no identity: it can't be checked. */
  | 'elsewhere';

/**
 * This process's identity, or null when it has none: not Linux, or a /proc that is not of this process's pid
 * namespace (then pids read there would name other processes). Reads /proc; call it once, at an entry point.
 */
export function readProcessIdentity(): ProcessIdentity | null {
  try {
    if (readlinkSync('/proc/self') !== String(process.pid)) return null;
    const startTicks = readStat(process.pid)?.startTicks;
    if (startTicks === undefined) return null;
    return {
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      pidNamespace: readlinkSync('/proc/self/ns/pid'),
      pid: process.pid,
      startTicks,
    };
  } catch (error) {
    if (isFsError(error)) return null; // no /proc: not Linux, or a sandbox without it
    throw error;
  }
}

/**
 * Whether the process `holder` names still exists, seen from the process `self`. Only a process of the same
 * kernel boot and pid namespace can be checked: `gone` when its pid names no process (`kill(pid, 0)`: ESRCH), a
 * zombie, or a process started at another time (the pid was reused). Anything uncertain is `running`.
 */
export function holderProcessState(holder: ProcessIdentity | null, self: ProcessIdentity | null): HolderProcessState {
  if (holder === null || self === null) return 'elsewhere';
  if (holder.bootId !== self.bootId || holder.pidNamespace !== self.pidNamespace) return 'elsewhere';
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: it exists, owned by another user.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
  }
  const stat = readStat(holder.pid);
  if (stat === null) return 'running'; // exists (kill said so) but hidden from this user: can't tell it apart
  if (stat.state === 'Z' || stat.state === 'X') return 'gone';
  return stat.startTicks === holder.startTicks ? 'running' : 'gone';
}

/**
 * The identity of another process of this machine and pid namespace (used by tests to name a process that will
 * die), or null when it has none.
 */
export function processIdentityOf(pid: number, self: ProcessIdentity | null): ProcessIdentity | null {
  const startTicks = readStat(pid)?.startTicks;
  return self === null || startTicks === undefined ? null : { ...self, pid, startTicks };
}

/** State (field 3) and start time (field 22) of `/proc/<pid>/stat`, or null when it can't be read. */
function readStat(pid: number): { state: string; startTicks: string } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if (isFsError(error)) return null;
    throw error;
  }
  // `pid (comm) state ...`: comm may hold spaces and parentheses, so the fields after it follow the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  return state === undefined || startTicks === undefined || !/^\d+$/.test(startTicks) ? null : { state, startTicks };
}

function isFsError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR' || code === 'ESRCH' || code === 'EINVAL';
}
