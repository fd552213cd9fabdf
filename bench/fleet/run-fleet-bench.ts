import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { hmacSignature, nangoWebhookBody, syncSuccessPayload } from '../../test/helpers/sign-nango-webhook.js';
import { makeTicket, ticketJsonSchema } from '../../test/helpers/ticket-model.js';
import type { NangoStandIn } from '../../stand-in/nango-stand-in.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, type WorkerFleet, waitUntil } from '../../test/helpers/worker-fleet.js';
import ms from 'ms';
import { classifyRequests, otherCount, type RequestsByKind } from './classify-requests.js';
import type { FleetBenchArgs } from './fleet-args.js';
import { seedSteadyState } from './seed-steady-state.js';
import { describeFinishedJobs, describeQueuedJobs } from './finished-jobs.js';

const INTEGRATION = 'crm';
const MODELS = ['Contact', 'Deal', 'Ticket'] as const;
const SIGNING_KEY = 'bench-fleet-signing-key';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const execFileAsync = promisify(execFile);

/** One line of the result table: what, the figure, the target when there is one, and whether it is met. */
export interface FleetFigure {
  name: string;
  value: string;
  target: string;
  met: boolean | null;
}

/**
 * The fleet scenario (issue 19): `connections` x 3 models on the stand-in, two worker processes, then the figures an
 * operator of a large deployment asks about. Returns the table's lines; the caller prints them.
 */
export async function runFleetBench(args: FleetBenchArgs, log: (line: string) => void): Promise<FleetFigure[]> {
  const streams = args.connections * MODELS.length;
  const fleet = await createWorkerFleet('bench_fleet');
  const figures: FleetFigure[] = [];
  const add = (name: string, value: string, target = '', met: boolean | null = null) => figures.push({ name, value, target, met });
  // Ctrl-C or SIGTERM: kill the workers, drop the database and the Redis keys, then exit (a bench's own process).
  const onSignal = () => {
    log('interrupted: closing the fleet');
    void fleet.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log(`seeding the stand-in: ${args.connections} connections x ${MODELS.length} models, ${args.recordsPerStream} records each`);
    fleet.standIn.store.deploySync({
      providerConfigKey: INTEGRATION,
      name: 'records',
      models: MODELS.map((name) => ({ name, jsonSchema: ticketJsonSchema })),
      runs: 'every hour',
    });
    for (let c = 0; c < args.connections; c++) {
      fleet.standIn.store.addConnection({ providerConfigKey: INTEGRATION, connectionId: `c-${c}` });
      for (const model of MODELS) {
        const records = Array.from({ length: args.recordsPerStream }, (_, i) => makeTicket(i));
        fleet.standIn.store.save(INTEGRATION, `c-${c}`, model, records);
      }
    }
    fleet.writeConfig(
      `${baseConfig(fleet, { worker: '  concurrency: 8\n  lockDuration: 30s\n  shutdownTimeout: 10s' }).replace('  pageSize: 20\n', '  pageSize: 1000\n').replace('  every: 500ms', '  every: 60s')}` +
        `streams:\n  - integration: ${INTEGRATION}\n    every: ${args.every}\n    safetyNet: ${args.safetyNet}\n`,
    );
    const env: Record<string, string> = { LOG_LEVEL: 'info', NANGO_WEBHOOK_SIGNING_KEY: SIGNING_KEY };
    if (args.memoryProbeDir !== null) {
      mkdirSync(args.memoryProbeDir, { recursive: true });
      env.FLEET_MEMORY_PROBE_DIR = resolve(args.memoryProbeDir);
      env.NODE_OPTIONS = `--import ${pathToFileURL(fileURLToPath(new URL('./memory-probe.mjs', import.meta.url))).href} --heapsnapshot-signal=SIGUSR2`;
    }
    // `status` is timed as users run it, the built package (from the sources, tsx would add a second of compiling).
    log('building dist/');
    await execFileAsync('npm', ['run', 'build'], { cwd: ROOT });
    const started = performance.now();
    const workers = [fleet.spawnWorker(env), fleet.spawnWorker(env)];
    const rss = sampleRss(workers);
    const port = await workers[0]!.port();
    // The status page and /metrics are on the admin door (README, Security: two doors).
    const adminPort = await workers[0]!.adminPort();

    log(`waiting for the first full replication of ${streams} streams`);
    const read = async () =>
      Number(
        (await sql<{ n: string }>`SELECT count(*) AS n FROM nango_replicator.streams WHERE last_success_at IS NOT NULL`.execute(fleet.db))
          .rows[0]?.n,
      );
    let lastLogged = 0;
    await waitUntil(
      async () => {
        const n = await read();
        if (performance.now() - lastLogged > 15_000) {
          log(`  ${n} of ${streams} streams read`);
          lastLogged = performance.now();
        }
        if (n < streams) throw new Error(`only ${n} of ${streams} streams were read within ${args.replicationTimeoutMs / 1000} s`);
      },
      args.replicationTimeoutMs,
      1000,
    );
    const replicationS = (performance.now() - started) / 1000;
    add('first full replication', `${replicationS.toFixed(0)} s (${Math.round(streams / replicationS)} streams/s)`);
    const requestsAfterReplication = fleet.standIn.stats.requests;
    add('API requests for it', `${requestsAfterReplication} (${(requestsAfterReplication / streams).toFixed(2)} per stream)`);

    log(`  queued after it: ${await describeQueuedJobs(fleet.queue)}`);
    const periodMinutes = ms(args.every as ms.StringValue) / 60_000;
    const perPeriod = streams / periodMinutes;
    const target = perPeriod / 20;
    const { safetyNetReadsPerMinute } = await seedSteadyState(fleet.db, {
      everyMs: ms(args.every as ms.StringValue),
      safetyNetMs: ms(args.safetyNet as ms.StringValue),
    });
    log(
      `seeded steady state: every stream backed off to its safety net (${args.safetyNet}), next reads spread over it: ` +
        `${safetyNetReadsPerMinute.toFixed(1)} safety-net reads a minute on average`,
    );
    log(`idle window of ${args.windowMs / 1000} s`);
    const idleStart = Date.now();
    const idle = await measureWindow(fleet.standIn, args.windowMs, async () => {});
    log(
      `  sync jobs in it: ${await describeFinishedJobs(fleet.queue, idleStart)}; queued after it: ${await describeQueuedJobs(fleet.queue)}`,
    );
    log(`  integrations' webhook state: ${await describeWebhookState(fleet.db)}`);
    add(
      'API requests/min, idle',
      `${idle.perMinute.toFixed(1)} (${describeKinds(idle)})`,
      `< ${target.toFixed(1)} (1/20 of one per stream per period: ${perPeriod.toFixed(0)})`,
      idle.perMinute <= target,
    );

    const changesPerMinute = (streams * args.changeRatePerHour) / 60;
    log(`changing window: ${changesPerMinute.toFixed(1)} streams changed (record + webhook) a minute`);
    let changed = 0;
    const changingStart = Date.now();
    const changing = await measureWindow(fleet.standIn, args.windowMs, async (elapsedMs, announced) => {
      while (changed < (elapsedMs / 60_000) * changesPerMinute) {
        const c = Math.floor(Math.random() * args.connections);
        const model = MODELS[changed % MODELS.length]!;
        fleet.standIn.store.save(INTEGRATION, `c-${c}`, model, [makeTicket(1_000_000 + changed)]);
        announced.set(`c-${c}/${model}`, Date.now());
        await sendWebhook(port, { providerConfigKey: INTEGRATION, connectionId: `c-${c}`, model, syncName: 'records' });
        changed++;
      }
    });
    log(
      `  sync jobs in it: ${await describeFinishedJobs(fleet.queue, changingStart)}; queued after it: ${await describeQueuedJobs(fleet.queue)}`,
    );
    const rate = (n: number) => (n * 60_000) / changing.elapsedMs;
    add(
      `API requests/min, ${(args.changeRatePerHour * 100).toFixed(0)}% of streams changing per hour (window)`,
      `${changing.perMinute.toFixed(1)} (${describeKinds(changing)}; ${changed} changes announced)`,
    );
    const steady =
      rate(changing.kinds.pulls + changing.kinds.extraReadsOfAnnounced) + safetyNetReadsPerMinute + rate(otherCount(changing.kinds));
    add(
      'API requests/min at steady state (window pulls + safety net averaged over its period + other)',
      `${steady.toFixed(1)}: ${(perPeriod / steady).toFixed(1)} times below one per stream per period; ` +
        `${((changing.kinds.pulls + changing.kinds.extraReadsOfAnnounced) / Math.max(1, changed)).toFixed(2)} requests per announced change`,
      `< ${target.toFixed(1)} (20 times below)`,
      steady <= target,
    );

    const repairs = workers.reduce((n, w) => n + (w.stderr().match(/scheduler repaired/g)?.length ?? 0), 0);
    add('scheduler repairs logged (none was lost)', String(repairs), '0', repairs === 0);

    const redisBytes = await redisMemory(fleet.redis, [`${fleet.queuePrefix}:*`, `${fleet.keyPrefix}*`]);
    add(
      'Redis memory per 1,000 streams',
      `${(((redisBytes / streams) * 1000) / 1024).toFixed(0)} KiB (${(redisBytes / 1024 / 1024).toFixed(1)} MiB in all)`,
    );
    const peak = rss.stop();
    add('peak worker RSS', `${(peak / 1024 / 1024).toFixed(0)} MB`, '<= 300 MB', peak <= 300 * 1024 * 1024);

    const metrics = await timedGet(`http://127.0.0.1:${adminPort}/metrics`);
    add('/metrics', `${kb(metrics.bytes)} in ${metrics.ms.toFixed(0)} ms`, '<= 1 MB', metrics.bytes <= 1024 * 1024);
    const page = await timedGet(`http://127.0.0.1:${adminPort}/`);
    add('status page', `${kb(page.bytes)} in ${page.ms.toFixed(0)} ms`, '<= 500 KB, <= 1 s', page.bytes <= 500 * 1024 && page.ms <= 1000);
    for (const cli of [['status'], ['status', '--json']]) {
      const t = performance.now();
      const result = await runBuiltCli(cli, { ...fleet.env, LOG_LEVEL: 'warn' });
      const ms = performance.now() - t;
      add(
        `\`${cli.join(' ')}\` (the built CLI, process start included)`,
        `${ms.toFixed(0)} ms, ${kb(Buffer.byteLength(result))}`,
        cli[1] === '--json' ? '<= 5 s' : '',
        cli[1] === '--json' ? ms <= 5000 : null,
      );
    }
    return figures;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await fleet.close();
  }
}

/**
 * Requests the stand-in received over `windowMs`, while `tick(elapsedMs, announced)` runs every 200 ms (it notes in
 * `announced` each stream it sent a webhook for), by kind, with their rate a minute.
 */
async function measureWindow(
  standIn: Pick<NangoStandIn, 'requests'>,
  windowMs: number,
  tick: (elapsedMs: number, announced: Map<string, number>) => Promise<void>,
): Promise<{ perMinute: number; elapsedMs: number; kinds: RequestsByKind }> {
  const before = standIn.requests.length;
  const announced = new Map<string, number>();
  const start = performance.now();
  while (performance.now() - start < windowMs) {
    await tick(performance.now() - start, announced);
    await sleep(200);
  }
  const elapsedMs = performance.now() - start;
  const requests = standIn.requests.slice(before);
  return { perMinute: (requests.length * 60_000) / elapsedMs, elapsedMs, kinds: classifyRequests(requests, announced) };
}

function describeKinds(window: { kinds: RequestsByKind; elapsedMs: number }): string {
  const rate = (n: number) => ((n * 60_000) / window.elapsedMs).toFixed(1);
  const { kinds } = window;
  const other = [...kinds.other].map(([path, n]) => `${path} ${n}`).join(', ');
  return (
    `a minute: ${rate(kinds.pulls)} webhook pulls, ${rate(kinds.extraReadsOfAnnounced)} further reads of announced streams, ` +
    `${rate(kinds.scheduledReads)} scheduled reads, ${rate(otherCount(kinds))} other${other === '' ? '' : ` (${other})`}`
  );
}

/** `polling_integrations` as the fleet left it: whether reads found changes no webhook announced. */
async function describeWebhookState(db: WorkerFleet['db']): Promise<string> {
  const { rows } = await sql<{ provider_config_key: string; webhook_at: Date | null; webhooks_missing_since: Date | null }>`
    SELECT provider_config_key, webhook_at, webhooks_missing_since FROM nango_replicator.polling_integrations`.execute(db);
  const at = (d: Date | null) => (d === null ? 'never' : d.toISOString().slice(11, 19));
  return rows
    .map((r) => `${r.provider_config_key}: webhook ${at(r.webhook_at)}, unannounced changes ${at(r.webhooks_missing_since)}`)
    .join('; ');
}

async function sendWebhook(port: number, fields: Record<string, string>): Promise<void> {
  const body = nangoWebhookBody(
    syncSuccessPayload({ ...fields, modifiedAfter: new Date().toISOString(), queryTimeStamp: new Date().toISOString() }),
  );
  const res = await fetch(`http://127.0.0.1:${port}/webhooks/nango`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-nango-hmac-sha256': hmacSignature(SIGNING_KEY, body) },
    body,
  });
  if (!res.ok) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
}

/** Runs `node dist/workers/cli.js <args>` to the end; its output, or an error with its stderr. */
async function runBuiltCli(args: string[], env: Record<string, string>): Promise<string> {
  const cli = resolve(ROOT, 'dist/workers/cli.js');
  const { stdout } = await execFileAsync(process.execPath, [cli, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    maxBuffer: 1024 ** 3,
  });
  return stdout;
}

async function timedGet(url: string): Promise<{ bytes: number; ms: number }> {
  const t = performance.now();
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return { bytes: body.length, ms: performance.now() - t };
}

/** Sum of MEMORY USAGE over the keys matching the patterns. */
async function redisMemory(redis: import('ioredis').Redis, patterns: string[]): Promise<number> {
  let total = 0;
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.memory('USAGE', key);
      for (const [, value] of (await pipeline.exec()) ?? []) total += Number(value ?? 0);
    } while (cursor !== '0');
  }
  return total;
}

/** Samples the workers' resident memory every second; `stop()` returns the largest one seen. */
function sampleRss(workers: SpawnedWorker[]): { stop(): number } {
  let peak = 0;
  const read = () => {
    for (const w of workers) {
      try {
        const kbRss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${w.child.pid}/status`, 'utf8'))?.[1];
        peak = Math.max(peak, Number(kbRss ?? 0) * 1024);
      } catch {
        // The process has exited: its last sample stands.
      }
    }
  };
  const timer = setInterval(read, 1000);
  return {
    stop() {
      read();
      clearInterval(timer);
      return peak;
    },
  };
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KB`;
}

/** The machine line of the table. */
export function describeMachine(): string {
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`;
}
