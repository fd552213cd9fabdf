import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const NAMES = ['chromium', 'chromium-browser'];

/**
 * The headless Chromium the browser tests drive: `$CHROMIUM_BIN`, else `chromium` or `chromium-browser` on PATH.
 * Missing, it throws (the tests fail, they do not skip): CI must install Debian's `chromium` package.
 */
export function findChromium(): string {
  const explicit = process.env.CHROMIUM_BIN;
  if (explicit !== undefined && explicit !== '') return explicit;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of NAMES) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Not in this directory: keep looking.
      }
    }
  }
  throw new Error(
    'Chromium not found: the status page is tested in headless Chromium. Install it (Debian: ' +
      '`apt-get update && apt-get install -y chromium`) or set CHROMIUM_BIN to its path.',
  );
}

/** Runs headless Chromium once with a throw-away profile; resolves with its standard output. */
export async function runChromium(args: ReadonlyArray<string>, timeoutMs = 60_000): Promise<string> {
  const binary = findChromium();
  const profile = await mkdtemp(join(tmpdir(), 'nr-chromium-'));
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${profile}`,
  ];
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(binary, [...flags, ...args], { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${binary} failed: ${error.message}\n${stderr.slice(-2000)}`));
        else resolve(stdout);
      });
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
