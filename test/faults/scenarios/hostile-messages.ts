import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { type Job, Queue } from 'bullmq';
import { BACKFILL_QUEUE, SYNC_QUEUE } from '../../../src/jobs/queue/queue-names.js';
import { hmacSignature, legacySignature, nangoWebhookBody, syncSuccessPayload } from '../../helpers/sign-nango-webhook.js';
import { openFaultLab, waitFor } from '../fault-lab.js';
import { crashSigns } from '../replicator-process.js';
import { emptyRow, type Scenario } from '../scenario.js';
import { settleRow } from '../settle-row.js';

const STREAM = { providerConfigKey: 'helpdesk', connectionId: 'acme', model: 'Ticket' };
const BURST = 500;

interface HostileRequest {
  what: string;
  body: Buffer;
  headers: Record<string, string>;
  /** Statuses that are a correct answer. */
  expect: number[];
}

/**
 * Webhooks nobody should trust and queue messages no code path wrote, thrown at a running worker: each is refused
 * (or ignored) with a 4xx or a failed job, the worker keeps serving, and a real change still reaches the table.
 */
export const hostileMessages: Scenario = {
  name: 'hostile-messages',
  async run(suite) {
    const hooks = emptyRow('hostile webhooks: forged, re-signed, 20 MB, malformed, wrong types, a burst of 500');
    const messages = emptyRow('hostile queue messages: malformed, wrong types, huge, unknown streams');
    const lab = await openFaultLab(suite, { label: 'hostile_msgs', streams: [STREAM] });
    const syncQueue = new Queue(SYNC_QUEUE, { connection: { url: lab.redisUrl }, prefix: lab.queuePrefix });
    const backfillQueue = new Queue(BACKFILL_QUEUE, { connection: { url: lab.redisUrl }, prefix: lab.queuePrefix });
    try {
      lab.seed(200);
      const worker = lab.worker();
      const port = (JSON.parse(await worker.waitForLine(/"msg":"http listening"/, 90_000)) as { port: number }).port;
      const url = `http://127.0.0.1:${port}/webhooks/nango`;
      const converged = () =>
        waitFor(
          async () => {
            const diff = await lab.diff();
            return (diff.lost === 0 && diff.duplicated === 0) || !worker.alive();
          },
          90_000,
          300,
        );
      await converged();

      const signed = (payload: unknown, key = suite.signingKey) => {
        const body = Buffer.isBuffer(payload) ? payload : nangoWebhookBody(payload);
        return { body, headers: { 'content-type': 'application/json', 'x-nango-hmac-sha256': hmacSignature(key, body) } };
      };
      const real = syncSuccessPayload(STREAM);
      const other = syncSuccessPayload({ ...STREAM, connectionId: 'globex' });
      const big = Buffer.alloc(20 * 1024 * 1024, 0x20);
      const requests: HostileRequest[] = [
        {
          what: 'forged signature',
          body: nangoWebhookBody(real),
          headers: { 'content-type': 'application/json', 'x-nango-hmac-sha256': randomBytes(32).toString('hex') },
          expect: [401],
        },
        { what: 'signed with another key', ...signed(real, 'not-the-key'), expect: [401] },
        { what: 'no signature', body: nangoWebhookBody(real), headers: { 'content-type': 'application/json' }, expect: [401] },
        { what: 'signature of another body', body: nangoWebhookBody(real), headers: { ...signed(other).headers }, expect: [401] },
        {
          what: 'legacy signature (not allowed)',
          body: nangoWebhookBody(real),
          headers: { 'content-type': 'application/json', 'x-nango-signature': legacySignature(suite.signingKey, nangoWebhookBody(real)) },
          expect: [401],
        },
        {
          what: 'signature not hex, 8 KB',
          body: nangoWebhookBody(real),
          headers: { 'content-type': 'application/json', 'x-nango-hmac-sha256': 'z'.repeat(8192) },
          expect: [401, 431],
        },
        // A server may answer 413 and close before the upload ends; the client then sees the connection cut (0).
        { what: '20 MB body, signed', ...signed(big), expect: [413, 0] },
        { what: '20 MB body, unsigned', body: big, headers: { 'content-type': 'application/json' }, expect: [401, 413, 0] },
        { what: 'malformed JSON, signed', ...signed(Buffer.from('{"type":"sync",')), expect: [400] },
        { what: 'not UTF-8, signed', ...signed(Buffer.from([0xff, 0xfe, 0x7b, 0x00])), expect: [400] },
        { what: 'JSON null, signed', ...signed(Buffer.from('null')), expect: [400] },
        { what: 'JSON array, signed', ...signed(Buffer.from('[1,2,3]')), expect: [400] },
        { what: 'wrong types, signed', ...signed({ ...real, success: 'yes', connectionId: 42, model: ['Ticket'] }), expect: [400] },
        { what: 'empty names, signed', ...signed({ ...real, providerConfigKey: '', connectionId: '' }), expect: [400] },
        { what: 'deep nesting, signed', ...signed(Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`)), expect: [400] },
        {
          what: 'auth webhook (ignored), signed',
          ...signed({ type: 'auth', from: 'nango', operation: 'creation', success: true }),
          expect: [200],
        },
        {
          what: 'unknown connection, signed',
          ...signed(syncSuccessPayload({ ...STREAM, connectionId: `ghost'; DROP TABLE x; --` })),
          expect: [200, 202],
        },
        {
          what: 'SQL in the model name, signed',
          ...signed(syncSuccessPayload({ ...STREAM, model: `Ticket"; DROP SCHEMA nango CASCADE; --` })),
          expect: [200, 202],
        },
        {
          what: 'text/plain content type, signed',
          body: nangoWebhookBody(real),
          headers: { 'content-type': 'text/plain', 'x-nango-hmac-sha256': hmacSignature(suite.signingKey, nangoWebhookBody(real)) },
          expect: [200, 202],
        },
      ];
      for (const r of requests) {
        hooks.injected++;
        const status = await post(url, r.body, r.headers);
        if (r.expect.includes(status)) hooks.survived++;
        else hooks.failures.push(`${r.what}: answered ${status}, expected ${r.expect.join(' or ')}`);
      }
      lab.churn(suite.random);
      const burst = await Promise.all(Array.from({ length: BURST }, () => post(url, signed(real).body, signed(real).headers)));
      hooks.injected += BURST;
      const okBurst = burst.filter((s) => s === 200 || s === 202).length;
      hooks.survived += okBurst;
      if (okBurst < BURST)
        hooks.failures.push(
          `burst: ${BURST - okBurst} of ${BURST} answered ${[...new Set(burst.filter((s) => s !== 200 && s !== 202))].join(', ')}`,
        );
      if (!(await converged()) || !worker.alive()) hooks.failures.push('the change announced by the burst did not reach the table');

      const huge = 'x'.repeat(2 * 1024 * 1024);
      const bad: unknown[] = [
        null,
        'a string',
        42,
        [],
        {},
        { providerConfigKey: 42 },
        { ...STREAM, model: { $ne: 1 } },
        { ...STREAM, connectionId: huge },
        { ...STREAM, connectionId: 'ghost' },
        { ...STREAM, __proto__: { admin: true } },
      ];
      const jobs: Job[] = [];
      for (const data of bad) {
        jobs.push(await syncQueue.add('sync', data));
        jobs.push(await syncQueue.add(`unknown-name-${jobs.length}`, data));
        jobs.push(await backfillQueue.add('backfill', data));
        jobs.push(await backfillQueue.add('backfill-stream', data));
      }
      jobs.push(await backfillQueue.add('backfill', { providerConfigKey: 'helpdesk', mode: 'explode' }));
      jobs.push(await backfillQueue.add('backfill', { providerConfigKey: 'helpdesk', since: 'yesterday' }));
      messages.injected = jobs.length;
      const settled = await waitFor(
        async () => {
          for (const job of jobs) {
            const state = await job.getState();
            if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return false;
          }
          return true;
        },
        120_000,
        500,
      );
      if (!settled) messages.failures.push('some hostile jobs never settled (completed or failed) within 120 s');
      lab.churn(suite.random);
      const answered = await post(url, signed(real).body, signed(real).headers);
      if (answered !== 200 && answered !== 202) messages.failures.push(`a real webhook after the hostile messages answered ${answered}`);
      if (!(await converged())) messages.failures.push('a real change after the hostile messages did not reach the table');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`)
        .then((r) => r.status)
        .catch(() => 0);
      if (health !== 200) messages.failures.push(`/healthz answered ${health} after the hostile messages`);
      if (!worker.alive()) {
        const why = `the worker died: ${crashSigns(worker.output()) ?? worker.output().slice(-300)}`;
        hooks.failures.push(why);
        messages.failures.push(why);
      } else {
        messages.survived = settled ? messages.injected : 0;
        const exit = await worker.kill('SIGTERM');
        if (exit.code !== 0) messages.failures.push(`the worker exited ${exit.code ?? exit.signal} on SIGTERM`);
      }
      await settleRow(lab, messages);
      return [hooks, messages];
    } finally {
      await syncQueue.close();
      await backfillQueue.close();
      await lab.close();
    }
  },
};

/**
 * POSTs and returns the status, taken as soon as the response starts even if the upload is cut short; 0 when the
 * connection was cut before any response.
 */
function post(url: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    let status = 0;
    const request = httpRequest(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, agent: false },
      (response) => {
        status = response.statusCode ?? 0;
        response.resume();
        response.on('end', () => resolve(status));
        response.on('error', () => resolve(status));
      },
    );
    request.on('error', () => resolve(status));
    request.end(body);
  });
}
