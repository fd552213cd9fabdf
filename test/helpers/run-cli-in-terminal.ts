import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../workers/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A command running on a pseudo-terminal, as in a user's interactive shell: stdin, stdout and stderr are the TTY. */
export interface TerminalSession {
  child: ChildProcess;
  /** Everything the terminal received so far, escape sequences included. */
  raw(): string;
  /** What the screen shows as plain text: escape sequences removed, line ends as `\n`. */
  screen(): string;
  /** Resolves with the screen once `pattern` matches it; rejects (with the screen) if the command ends first. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Types on the keyboard, e.g. `\x03` for Ctrl-C: the terminal turns it into SIGINT for the command. */
  type(keys: string): void;
  /** Resolves when the command has ended, with its exit code (null when it was killed at the deadline). */
  done: Promise<{ code: number | null; screen: string }>;
}

/**
 * A command still running this long after its start is killed, so a hung command fails its test (with what the
 * screen showed) instead of hanging the suite. Generous: a failure guard, never a measure of speed.
 */
const DEADLINE_MS = 240_000;

/** Terminal size the commands see (a pseudo-terminal nobody sized reports 0 columns). */
const COLUMNS = 160;
const ROWS = 40;

/**
 * Runs `argv` on a pseudo-terminal with util-linux `script`, which forwards what is typed and returns the command's
 * exit code (`-e`). The environment is `env` plus PATH and HOME only.
 */
export function runInTerminal(argv: string[], env: Record<string, string>): TerminalSession {
  const command = `stty cols ${COLUMNS} rows ${ROWS}; exec ${argv.map(shellQuote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SHELL: '/bin/sh', TERM: 'xterm-256color', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  const listeners = new Set<() => void>();
  const onOutput = (chunk: Buffer) => {
    raw += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput); // script's own complaints, if any
  let ended = false;
  const deadline = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
  const done = new Promise<{ code: number | null; screen: string }>((resolve) =>
    child.on('close', (code) => {
      ended = true;
      clearTimeout(deadline);
      child.stdin?.destroy();
      for (const listener of listeners) listener();
      resolve({ code, screen: toScreen(raw) });
    }),
  );
  const waitFor = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const screen = toScreen(raw);
        if (pattern.test(screen)) {
          listeners.delete(check);
          resolve(screen);
        } else if (ended) {
          listeners.delete(check);
          reject(new Error(`the command ended without showing ${pattern}; the screen:\n${screen}`));
        }
      };
      listeners.add(check);
      check();
    });
  return {
    child,
    raw: () => raw,
    screen: () => toScreen(raw),
    waitFor,
    type: (keys) => child.stdin?.write(keys),
    done,
  };
}

/** Runs the real CLI entry point (from the sources) on a pseudo-terminal. */
export function runCliInTerminal(args: string[], env: Record<string, string>): TerminalSession {
  return runInTerminal([process.execPath, '--import', 'tsx', CLI, ...args], env);
}

/** Plain text of terminal output: ANSI escape sequences removed, `\r\n` as `\n`, a lone `\r` as a new line. */
export function toScreen(raw: string): string {
  return (
    raw
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
      .replace(/\r\n/g, '\n')
      .replace(/\r/g, '\n')
  );
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
