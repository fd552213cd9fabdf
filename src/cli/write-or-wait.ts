import { once } from 'node:events';

/**
 * Writes `text` and, when the stream's buffer is full, waits until it drains, so a long listing is produced no faster
 * than the reader takes it. Returns false when the stream was closed or failed (`status | head`): stop writing.
 */
export async function writeOrWait(stream: NodeJS.WritableStream, text: string): Promise<boolean> {
  if (stream.write(text)) return true;
  const ac = new AbortController();
  try {
    await Promise.race([
      once(stream, 'drain', { signal: ac.signal }).then(() => true),
      once(stream, 'close', { signal: ac.signal }),
      once(stream, 'error', { signal: ac.signal }),
    ]);
  } catch {
    // 'error' rejects `once`: the reader went away.
  } finally {
    ac.abort();
  }
  return !(stream as NodeJS.WritableStream & { destroyed?: boolean }).destroyed;
}
