import type { FastifyInstance } from 'fastify';

/** One dependency readiness depends on. `check` resolves when it is usable and rejects (with why) when not. */
export interface ReadinessCheck {
  name: string;
  check(signal: AbortSignal): Promise<void>;
}

/** How long one readiness check may take before it counts as failed, ms. */
const CHECK_TIMEOUT_MS = 2000;

/**
 * `GET /healthz`: the process is alive and serving HTTP (200, always).
 * `GET /readyz`: every check passes (200), else 503. Orchestrators route traffic and count a rollout healthy on
 * it; a draining worker answers 503. With `details` (the admin door) the body names each check and why it failed;
 * without (the public door) it says ready or not and nothing else.
 */
export function healthRoutes(checks: ReadonlyArray<ReadinessCheck>, options: { details?: boolean } = {}) {
  return (app: FastifyInstance) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const results = await Promise.all(checks.map(runCheck)); // a handful of fixed checks, not per stream
      const ready = results.every((r) => r.ok);
      const status = ready ? 'ready' : 'not ready';
      if (options.details !== true) return reply.code(ready ? 200 : 503).send({ status });
      return reply.code(ready ? 200 : 503).send({
        status,
        checks: Object.fromEntries(results.map((r) => [r.name, r.ok ? 'ok' : r.reason])),
      });
    });
  };
}

async function runCheck(check: ReadinessCheck): Promise<{ name: string; ok: boolean; reason?: string }> {
  const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
  try {
    await Promise.race([
      check.check(signal),
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('no answer in time')), { once: true })),
    ]);
    return { name: check.name, ok: true };
  } catch (error) {
    return { name: check.name, ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
