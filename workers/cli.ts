#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { findPackageVersion } from '../src/cli/find-package-version.js';
import { runCli } from '../src/cli/run-cli.js';
import { staleBuildWarning } from '../src/cli/stale-build-warning.js';
import { StopSignal } from '../src/cli/stop-signal.js';

// Entry point: the only place that touches process state. First SIGINT/SIGTERM asks the command to stop
// after the page in flight (the command logs that it is stopping); a second one exits at once.
const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals += 1;
  if (signals > 1) process.exit(130);
  controller.abort(new StopSignal(signal));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// The reader of our output went away (`nango-replicator status | head`): stop like on a first signal instead of
// dying of an unhandled 'error' event; what is still written goes nowhere.
const onOutputGone = (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  if (!controller.signal.aborted) controller.abort(new StopSignal('SIGPIPE'));
};
process.stdout.on('error', onOutputGone);
process.stderr.on('error', onOutputGone);

const readTextFile = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
};

// Built, in a clone whose sources changed since (a `git pull` without `npm run build`): say so before anything else.
const stale = staleBuildWarning(fileURLToPath(import.meta.url));
if (stale !== null) process.stderr.write(`${stale}\n`);

process.exitCode = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  readTextFile,
  signal: controller.signal,
  version: findPackageVersion(dirname(fileURLToPath(import.meta.url)), readTextFile),
  v8: { execArgv: process.execArgv, setFlags: (flags) => v8.setFlagsFromString(flags) },
});

// Everything the command opened is closed by now. A handle something left open (a socket a library did not end)
// must not keep a stopped worker alive: exit shortly after, unless the process has already exited by itself.
setTimeout(() => process.exit(), 2000).unref();
