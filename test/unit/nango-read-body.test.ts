import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readBody } from '../../src/nango/read-body.js';

const big = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `{"id":"${i}","t":"é"}`).join(','));
let server: Server;
let url: string;

before(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? '';
    if (path === '/length') {
      response.writeHead(200, { 'content-length': big.length });
      // In pieces, so the body arrives in many chunks.
      for (let at = 0; at < big.length; at += 100_000) response.write(big.subarray(at, at + 100_000));
      response.end();
    } else if (path === '/chunked') {
      response.writeHead(200);
      response.write(big.subarray(0, 1000));
      response.end(big.subarray(1000));
    } else if (path === '/gzip') {
      const zipped = gzipSync(big);
      response.writeHead(200, { 'content-encoding': 'gzip', 'content-length': zipped.length });
      response.end(zipped);
    } else {
      response.writeHead(204);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a body is read whole, byte for byte, however it is framed', async () => {
  for (const path of ['/length', '/chunked', '/gzip']) {
    const bytes = await readBody(await fetch(`${url}${path}`));
    assert.equal(bytes.byteLength, big.length, path);
    assert.ok(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(big), path);
  }
});

test('a compressed body is longer than its Content-Length and is still read whole', async () => {
  const response = await fetch(`${url}/gzip`);
  assert.ok(Number(response.headers.get('content-length')) < big.length);
  assert.equal((await readBody(response)).byteLength, big.length);
});

test('an empty body is empty', async () => {
  assert.equal((await readBody(await fetch(`${url}/empty`))).byteLength, 0);
});

test('a body longer or shorter than announced is read as it arrived', async () => {
  const stream = (...parts: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(Buffer.from(part));
        controller.close();
      },
    });
  const longer = await readBody(new Response(stream('abc', 'def', 'gh'), { headers: { 'content-length': '4' } }));
  assert.equal(Buffer.from(longer).toString(), 'abcdefgh');
  const shorter = await readBody(new Response(stream('ab', 'c'), { headers: { 'content-length': '10' } }));
  assert.equal(Buffer.from(shorter).toString(), 'abc');
});
