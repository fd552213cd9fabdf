import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { answerRequest, type AnswerDeps } from './answer-request.js';
import { genericErrorReply } from './api-errors.js';
import { sendReply } from './http-reply.js';
import { redactHeaders, type LoggedRequest } from './logged-request.js';
import { parseQueryString } from './query-string.js';

/** Counters kept by the stand-in. */
export interface StandInCounters {
  requests: number;
  tooManyRequests: number;
  socketsDestroyed: number;
}

/** Collaborators and state of the HTTP layer. */
export interface HandleRequestDeps extends AnswerDeps {
  log: LoggedRequest[];
  counters: StandInCounters;
  /** Aborted on close: pending delays end by resetting their socket. */
  signal: AbortSignal;
}

/** Logs the request, applies network faults, answers it. Never rejects. */
export async function handleRequest(req: IncomingMessage, res: ServerResponse, deps: HandleRequestDeps): Promise<void> {
  // Prefix rather than resolve, so a path starting with // stays a path.
  const url = new URL(`http://stand-in.invalid${req.url ?? '/'}`);
  const method = req.method ?? 'GET';
  const entry: LoggedRequest = {
    method,
    path: url.pathname,
    query: parseQueryString(url.search),
    headers: redactHeaders(req.headers),
    status: 0,
    at: deps.now(),
  };
  deps.log.push(entry);
  deps.counters.requests += 1;
  res.on('finish', () => {
    entry.status = res.statusCode;
  });
  try {
    const rawBody = await readBody(req);
    const delayMs = deps.faults.takeDelay(entry.path);
    if (delayMs > 0) await sleep(delayMs, undefined, { signal: deps.signal });
    const hold = deps.faults.takeHold(entry.path, entry.query);
    if (hold) await untilReleased(hold, deps.signal);
    if (deps.faults.takeDestroy(entry.path)) {
      deps.counters.socketsDestroyed += 1;
      req.socket.resetAndDestroy();
      return;
    }
    const reply = answerRequest({ method, path: entry.path, query: entry.query, headers: req.headers }, rawBody, deps);
    if (reply.status === 429) deps.counters.tooManyRequests += 1;
    sendReply(res, reply);
  } catch (error) {
    if (deps.signal.aborted || res.headersSent) {
      req.socket.destroy();
      return;
    }
    deps.onError(error);
    sendReply(res, genericErrorReply());
  }
}

/** Waits for a held request's release; rejects when the stand-in closes first (the socket is then reset). */
function untilReleased(hold: Promise<void>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void hold.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
