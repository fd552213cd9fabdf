import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load-config.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../scripts/stand-in.ts', import.meta.url));

interface StandInProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm run stand-in -- ...` as a user starts it (node + tsx, from the repository). */
function startStandIn(args: string[]): StandInProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Resolves with the first match of `pattern` in the output, once it is printed; fails if the process ends first. */
async function waitForOutput(p: StandInProcess, pattern: RegExp, from = 0): Promise<RegExpExecArray> {
  let ended = false;
  void p.exited.then(() => (ended = true));
  for (;;) {
    const match = pattern.exec(p.stdout().slice(from));
    if (match) return match;
    if (ended) assert.fail(`the stand-in exited before printing ${pattern}:\n${p.stdout()}\n${p.stderr()}`);
    await Promise.race([new Promise<void>((resolve) => p.child.stdout?.once('data', () => resolve())), p.exited]);
  }
}

interface NangoRecord {
  id: string;
  title: string;
  _nango_metadata: { last_action: string; cursor: string };
}

async function readAll(host: string, key: string, connectionId: string): Promise<Map<string, NangoRecord>> {
  const records = new Map<string, NangoRecord>();
  let cursor: string | null = null;
  do {
    const query: string = `model=GithubIssue&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await fetch(`${host}/records?${query}`, {
      headers: { Authorization: `Bearer ${key}`, 'Connection-Id': connectionId, 'Provider-Config-Key': 'github' },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { next_cursor: string | null; records: NangoRecord[] };
    for (const record of body.records) records.set(record.id, record);
    cursor = body.next_cursor;
  } while (cursor);
  return records;
}

describe('npm run stand-in', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stand-in-command-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('serves its sample data with the key it prints, churns it, writes a worker config and stops on Ctrl-C', async () => {
    const configPath = join(dir, 'demo.yaml');
    const p = startStandIn(['--port', '0', '--seed', 'github:2x300', '--churn', '200ms', '--write-config', configPath]);
    try {
      const host = (await waitForOutput(p, /^export NANGO_HOST=(\S+)$/m))[1]!;
      const key = (await waitForOutput(p, /^export NANGO_SECRET_KEY=(\S+)$/m))[1]!;
      // The line after the key's: it may arrive in the next chunk of output.
      await waitForOutput(p, /^export REPLICATOR_CONFIG=.*demo\.yaml$/m);
      assert.match(p.stdout(), /integration github: 2 connections \(acme, globex\) x 300 GitHub issues/);

      const before = await readAll(host, key, 'acme');
      assert.ok(before.size >= 300, `${before.size} records of acme`);
      assert.ok((await readAll(host, key, 'globex')).size >= 300);
      const refused = await fetch(`${host}/records?model=GithubIssue`, {
        headers: { Authorization: 'Bearer 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 'Connection-Id': 'acme', 'Provider-Config-Key': 'github' },
      });
      assert.equal(refused.status, 401, 'another key is refused');

      // A churn tick printed after the first read has changed, deleted and added records of acme since.
      await waitForOutput(p, /churn: github\/acme 3 changed, 1 deleted, 2 added/, p.stdout().length);
      const later = await readAll(host, key, 'acme');
      const isDeleted = (r: NangoRecord | undefined) => r?._nango_metadata.last_action === 'DELETED';
      const added = [...later.keys()].filter((id) => !before.has(id));
      const deleted = [...later.values()].filter((r) => isDeleted(r) && !isDeleted(before.get(r.id)));
      const changed = [...later.values()].filter((r) => !isDeleted(r) && before.has(r.id) && before.get(r.id)!.title !== r.title);
      assert.ok(added.length >= 2, `${added.length} added`);
      assert.ok(deleted.length >= 1, `${deleted.length} deleted`);
      assert.ok(changed.length >= 1 && changed.every((r) => r.title.endsWith('(edited)')), `${changed.length} changed`);

      // The configuration it wrote is one the worker accepts, following the seeded integration.
      const config = loadConfig({ env: { REPLICATOR_CONFIG: configPath }, readTextFile: (path) => readFileSync(path, 'utf8') });
      assert.deepEqual(
        config.streams.map((rule) => rule.integration),
        ['github'],
      );
      assert.equal(config.target.schema, 'nango_stand_in');
      for (const line of readFileSync(configPath, 'utf8').trimEnd().split('\n'))
        assert.ok(p.stdout().includes(`  ${line}\n`), `printed: ${line}`);
    } finally {
      p.child.kill('SIGINT');
    }
    const { code, signal } = await p.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, p.stderr());
    assert.match(p.stderr(), /SIGINT: stand-in stopped/);
  });

  test('--help teaches the options and exits 0; a malformed --seed says what is expected and exits 2', async () => {
    const help = startStandIn(['--help']);
    assert.equal((await help.exited).code, 0);
    for (const option of ['--port', '--seed KEY:CxR', '--churn PERIOD', '--write-config', 'Example:'])
      assert.ok(help.stdout().includes(option), option);

    const bad = startStandIn(['--seed', 'github:3']);
    assert.equal((await bad.exited).code, 2);
    assert.match(bad.stderr(), /--seed must look like INTEGRATION:CONNECTIONSxRECORDS, e\.g\. github:3x3000 \(got "github:3"\)/);
  });
});
