/**
 * A response's whole body as bytes. Where the response says how long it is (`Content-Length`, no
 * `Content-Encoding`), the chunks are copied into one buffer of that length as they arrive; otherwise, or if more
 * arrives than announced, they are joined at the end. `Response.arrayBuffer()` does the same work through more of
 * the WHATWG stream machinery and joins every chunk into fresh memory at the end, at several times the CPU
 * (docs/decisions/0007-payloads-are-nangos-bytes.md).
 */
export async function readBody(response: Response): Promise<Uint8Array> {
  const body = response.body;
  if (body === null) return new Uint8Array(0);
  const announced = response.headers.get('content-encoding') === null ? Number(response.headers.get('content-length')) : Number.NaN;
  let buffer = Number.isSafeInteger(announced) && announced > 0 ? Buffer.allocUnsafe(announced) : null;
  let length = 0;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    if (buffer !== null && length + chunk.byteLength <= buffer.length) {
      buffer.set(chunk, length);
    } else {
      if (buffer !== null) chunks.push(buffer.subarray(0, length)); // more than announced: join at the end
      buffer = null;
      chunks.push(chunk);
    }
    length += chunk.byteLength;
  }
  return buffer !== null ? buffer.subarray(0, length) : Buffer.concat(chunks, length);
}
