import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_STAND_IN_KEY } from '../../scripts/stand-in-args.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

interface Service {
  image?: string;
  build?: string | { context: string; target?: string };
  profiles?: string[];
  ports?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

// YAML merge keys (`<<: *worker`) as compose reads them.
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const { worker, 'stand-in': standIn, 'demo-worker': demoWorker } = compose.services;

/** `docker compose ... config` works here only with the compose plugin; then it must accept the file as it is. */
function dockerCompose(): boolean {
  const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  return probe.status === 0 && /compose/i.test(probe.stdout);
}

describe('docker-compose.yml', () => {
  test('publishes both doors on this machine, as ranges so --scale still works; the admin door binds 0.0.0.0 inside', () => {
    assert.ok(worker);
    assert.deepEqual(worker.ports, ['127.0.0.1:8080-8089:8080', '127.0.0.1:9464-9473:9464']);
    assert.equal(worker.environment?.PORT, '8080');
    assert.equal(worker.environment?.ADMIN_PORT, '9464');
    assert.equal(worker.environment?.ADMIN_HOST, '0.0.0.0', 'loopback inside a container is unreachable from outside it');
    assert.equal(worker.environment?.ADMIN_TOKEN, undefined, 'the token comes from .env, never from this file');
    assert.equal(worker.profiles, undefined, 'started by a plain `docker compose up`');
  });

  test('profile demo: the stand-in from its own Dockerfile stage, and a worker following it with config/demo.yaml', () => {
    assert.ok(standIn && demoWorker);
    assert.deepEqual(standIn.profiles, ['demo']);
    assert.deepEqual(standIn.build, { context: '.', target: 'stand-in' });
    assert.ok(standIn.ports?.includes('127.0.0.1:3003:3003'));
    assert.deepEqual(standIn.command?.slice(0, 2), ['--port', '3003']);

    assert.deepEqual(demoWorker.profiles, ['demo']);
    assert.equal(demoWorker.build, '.', 'the product image');
    assert.equal(demoWorker.environment?.NANGO_HOST, 'http://stand-in:3003');
    assert.equal(demoWorker.environment?.NANGO_SECRET_KEY, DEFAULT_STAND_IN_KEY);
    assert.equal(demoWorker.environment?.REPLICATOR_CONFIG, 'config/demo.yaml');
    assert.ok(demoWorker.volumes?.includes('./config/demo.yaml:/app/config/demo.yaml:ro'));
    assert.deepEqual(Object.keys(demoWorker.depends_on ?? {}).sort(), ['postgres', 'redis', 'stand-in']);
    assert.deepEqual(demoWorker.ports, ['127.0.0.1:8090:9464', '127.0.0.1:8091:8080']);
  });

  test('the product image is the last Dockerfile stage and carries no stand-in; the build leaves it out too', () => {
    const dockerfile = read('Dockerfile');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    assert.match(dockerfile, /^FROM build AS stand-in$/m);
    const product = stages.at(-1)!;
    assert.match(product, /^node:(22|24)-bookworm-slim\n/, 'a supported LTS');
    assert.doesNotMatch(product, /stand-in|scripts|COPY --from=build[^\n]*\/app\/(src|node_modules)/);
    assert.ok(
      stages.every((stage) => !stage.startsWith('node:20')),
      'Node 20 is past its end of life',
    );
    // The stand-in and the demo live outside src/ (stand-in/, demo/), and the build compiles neither folder.
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    assert.deepEqual(build.include, ['src', 'workers', 'migrations']);
    assert.ok(!existsSync(new URL('../../src/stand-in', import.meta.url)) && !existsSync(new URL('../../src/demo', import.meta.url)));
  });

  test(
    'docker compose config accepts the file, demo profile included',
    { skip: !dockerCompose() && 'no docker compose plugin here' },
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'compose-config-'));
      try {
        mkdirSync(join(dir, 'config'));
        copyFileSync(new URL('../../docker-compose.yml', import.meta.url), join(dir, 'docker-compose.yml'));
        for (const file of ['replicator.yaml', 'demo.yaml'])
          copyFileSync(new URL(`../../config/${file}`, import.meta.url), join(dir, 'config', file));
        writeFileSync(join(dir, '.env'), read('config/env.example'));
        for (const args of [
          ['config', '--quiet'],
          ['--profile', 'demo', 'config', '--quiet'],
        ]) {
          const result = spawnSync('docker', ['compose', ...args], { cwd: dir, encoding: 'utf8' });
          assert.equal(result.status, 0, result.stderr);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
