import { type ConnectionOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';

/** A BullMQ queue under `queue.prefix`; its errors (Redis gone for a while) are logged, BullMQ reconnects. */
export function openQueue<T>(deps: { logger: Logger }, config: ReplicatorConfig, name: string, connection: ConnectionOptions): Queue<T> {
  const queue = new Queue<T>(name, { connection, prefix: config.queuePrefix });
  queue.on('error', (error) => deps.logger.warn({ err: { message: error.message }, queue: name }, 'BullMQ queue error'));
  return queue;
}
