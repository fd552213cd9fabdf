import { dirname, join } from 'node:path';

/**
 * The version of nango-replicator: the `version` of the nearest `package.json` named `nango-replicator` in `fromDir`
 * or above it (the entry point runs from `workers/` in a clone and from `dist/workers/` when built). Undefined if
 * there is none.
 */
export function findPackageVersion(fromDir: string, readTextFile: (path: string) => string | null): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const text = readTextFile(join(dir, 'package.json'));
    if (text !== null) {
      const manifest = JSON.parse(text) as { name?: unknown; version?: unknown };
      if (manifest.name === 'nango-replicator' && typeof manifest.version === 'string') return manifest.version;
    }
    if (dirname(dir) === dir) return undefined;
  }
}
