import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/build-program.js';
import { findPackageVersion } from '../../src/cli/find-package-version.js';

function program(version?: string): { program: Command; out: () => string } {
  let out = '';
  const built = buildProgram(async () => {}, { writeOut: (s) => void (out += s), writeErr: (s) => void (out += s) }, { version });
  return { program: built, out: () => out };
}

function fullHelp(name?: string): string {
  const { program: root, out } = program();
  const command = name === undefined ? root : root.commands.find((c) => c.name() === name);
  assert.ok(command, `no command ${name}`);
  command.configureHelp({ helpWidth: 80 });
  command.outputHelp();
  return out();
}

const COMMANDS = ['sync', 'migrate', 'worker', 'status', 'backfill'];

describe('--help and --version', () => {
  test('every command ends its help with examples of itself', () => {
    for (const name of COMMANDS) {
      const text = fullHelp(name);
      assert.match(text, /\nExamples:\n/, name);
      assert.match(text, new RegExp(`\\n {2}\\$ (\\S+=\\S+ )?nango-replicator ${name}\\b`), name);
    }
    assert.match(
      fullHelp(),
      /\nExamples \(from a clone: node dist\/workers\/cli\.js instead of nango-replicator\):\n {2}\$ nango-replicator sync /,
    );
  });

  test('descriptions are single paragraphs commander wraps itself: no hard line breaks, no line wider than 80', () => {
    const { program: root } = program();
    for (const command of [root, ...root.commands]) {
      assert.doesNotMatch(command.description(), /\n/, `${command.name()}: a line break in its description`);
      for (const option of command.options) assert.doesNotMatch(option.description, /\n/, `${command.name()} ${option.flags}`);
    }
    for (const name of [undefined, ...COMMANDS]) {
      for (const line of fullHelp(name).split('\n')) assert.ok(line.length <= 80, `${name ?? 'program'}: "${line}" is wider than 80`);
    }
  });

  test('worker --help teaches the two doors: webhooks on PORT, the status page and /metrics on ADMIN_PORT', () => {
    const text = fullHelp('worker').replace(/\s+/g, ' ');
    assert.match(text, /PORT \(default 8080\), the only one to expose to Nango, serves Nango webhooks at POST \/webhooks\/nango/);
    assert.match(text, /ADMIN_PORT \(default 9464, on ADMIN_HOST, default 127\.0\.0\.1\) serves the status page at GET \//);
    assert.match(text, /GET \/metrics/);
    assert.match(text, /ADMIN_TOKEN/);
    assert.match(text, /REPLICATOR_CONFIG/);
  });

  test('--version prints the version of the package', async () => {
    const { program: root, out } = program('1.2.3');
    await assert.rejects(root.parseAsync(['--version'], { from: 'user' }), { exitCode: 0 });
    assert.equal(out(), '1.2.3\n');
    const files: Record<string, string> = {
      '/app/package.json': JSON.stringify({ name: 'nango-replicator', version: '0.9.1' }),
      '/app/node_modules/x/package.json': JSON.stringify({ name: 'x', version: '5.0.0' }),
    };
    const read = (path: string) => files[path] ?? null;
    assert.equal(findPackageVersion('/app/dist/workers', read), '0.9.1', 'built: dist/workers/cli.js');
    assert.equal(findPackageVersion('/app/workers', read), '0.9.1', 'from a clone: workers/cli.ts');
    assert.equal(findPackageVersion('/app/node_modules/x/lib', read), '0.9.1', 'skips other packages');
    assert.equal(findPackageVersion('/elsewhere', read), undefined);
  });
});
