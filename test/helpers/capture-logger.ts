import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/log/create-logger.js';

/** A real pino logger (with the product's redaction) whose lines are kept in memory for assertions. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level, destination });
  return { logger, lines, text: () => lines.join('') };
}
