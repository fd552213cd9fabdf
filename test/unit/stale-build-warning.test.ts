import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { staleBuildWarning } from '../../src/cli/stale-build-warning.js';

describe('a CLI built in a clone says when its sources changed after the build', () => {
  const root = mkdtempSync(join(tmpdir(), 'nr-stale-build-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, at: Date) => {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, '');
    utimesSync(full, at, at);
    return full;
  };
  const built = new Date('2026-12-01T10:00:00Z');
  const before = new Date('2026-12-01T09:00:00Z');
  const later = new Date('2026-12-02T08:00:00Z');

  test('a build newer than every source: no warning', () => {
    const entry = write('clone/dist/workers/cli.js', built);
    write('clone/src/cli/run-cli.ts', before);
    write('clone/migrations/0001_init.ts', before);
    assert.equal(staleBuildWarning(entry), null);
  });

  test('a source pulled after the build (a Lua script too): the warning names it and says what to run', () => {
    const entry = write('clone/dist/workers/cli.js', built);
    write('clone/src/ratelimit/token-bucket.lua', later);
    assert.equal(
      staleBuildWarning(entry),
      'warning: src/ratelimit/token-bucket.lua changed after dist/ was built: this command runs the old code. ' +
        'Run `npm run build` (npm ci does it) from the clone.',
    );
  });

  test('an installed package or an image (no sources beside dist/), or the CLI run from its sources: no warning', () => {
    assert.equal(staleBuildWarning(write('package/dist/workers/cli.js', built)), null);
    assert.equal(staleBuildWarning(write('clone/workers/cli.ts', built)), null);
  });
});
