import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

/** The folders `npm run build` compiles into dist/ (tsconfig.build.json). */
const SOURCE_DIRS = ['src', 'workers', 'migrations'];

/**
 * Run from a build inside a clone (`<clone>/dist/workers/cli.js`, the sources beside dist/), a warning when a source
 * file is newer than that build: after a `git pull` without `npm run build`, dist/ runs the old code, and its errors
 * (a configuration key "unrecognized" because config/ documents a newer one) mislead. Null when the build is current,
 * or when there are no sources beside it (an installed package, a Docker image).
 * @param entryFile the entry point's own path (`fileURLToPath(import.meta.url)`)
 */
export function staleBuildWarning(entryFile: string): string | null {
  const dist = dirname(dirname(entryFile));
  if (basename(dist) !== 'dist') return null;
  const root = dirname(dist);
  let builtMs: number;
  try {
    builtMs = statSync(entryFile).mtimeMs;
  } catch {
    return null;
  }
  for (const dir of SOURCE_DIRS) {
    let files: string[];
    try {
      files = readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' });
    } catch {
      continue; // No such folder here: nothing to compare.
    }
    for (const file of files) {
      if (!file.endsWith('.ts') && !file.endsWith('.lua')) continue;
      const path = join(root, dir, file);
      const changedMs = statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;
      if (changedMs > builtMs) {
        return (
          `warning: ${relative(root, path)} changed after dist/ was built: this command runs the old code. ` +
          'Run `npm run build` (npm ci does it) from the clone.'
        );
      }
    }
  }
  return null;
}
