import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { runInTerminal } from '../helpers/run-cli-in-terminal.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let database: TestDatabase;
before(async () => {
  database = await createTestDatabase('demo');
});
after(async () => {
  await database.drop();
});

function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/demo.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

test('npm run demo replicates both sample connections exactly, and can be run again', async () => {
  for (let run = 0; run < 2; run++) {
    const result = await runDemo();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /acme\/GithubIssue: 5 pages, 2,500 records, 2,500 upserted/);
    assert.match(result.stdout, /acme\/GithubIssue: 1 page, 190 records, 190 upserted, 40 deleted/);
    assert.equal(result.stdout.match(/identical to Nango: yes/g)?.length, 2);
    assert.match(result.stdout, /2460 live, 40 soft-deleted/);
    assert.match(result.stdout, /value errors recorded: 1/);
  }
});

test('npm run demo on a terminal shows each sync live, then the same checked result', async () => {
  const session = runInTerminal([process.execPath, '--import', 'tsx', 'demo/demo.ts'], { DATABASE_URL: database.url });
  const { code, screen } = await session.done;
  assert.equal(code, 0, screen);
  // Each sync draws its live line (erased before its summary) between the demo's own explanations.
  assert.match(
    session.raw(),
    // eslint-disable-next-line no-control-regex -- the live line's erase sequence
    /demo-github\/acme\/GithubIssue: page \d+, [\d,]+ records \([^)]*\), [\d,]+ upserted, [\d,]+ deleted\r\x1b\[K/,
  );
  assert.match(screen, /acme\/GithubIssue: 5 pages, 2,500 records, 2,500 upserted/);
  assert.equal(screen.match(/identical to Nango: yes/g)?.length, 2);
  assert.doesNotMatch(screen, /\bINFO\b|error:/);
});
