import type { ServerResponse } from 'node:http';

/**
 * A response to send. A string or Buffer body is sent as is (HTML unless headers say otherwise); anything else as
 * JSON.
 */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string | number>;
}

/** Writes a reply like Express `res.send`: JSON with `application/json; charset=utf-8`. */
export function sendReply(res: ServerResponse, reply: Reply, extraHeaders: Record<string, string | number> = {}): void {
  const isText = typeof reply.body === 'string' || Buffer.isBuffer(reply.body);
  const payload = isText ? (reply.body as string | Buffer) : JSON.stringify(reply.body);
  const headers: Record<string, string | number> = {
    'Content-Type': isText ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    ...extraHeaders,
    ...reply.headers,
    'Content-Length': Buffer.byteLength(payload),
  };
  res.writeHead(reply.status, headers);
  res.end(payload);
}
