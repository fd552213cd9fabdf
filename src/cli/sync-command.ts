import { describeStream, type StreamKey } from '../store/stream-key.js';
import { replicateStream, type ReplicateProgress, type ReplicateSummary } from '../replicate/replicate-stream.js';
import type { App } from './open-app.js';
import { formatCount, formatDuration, formatRate } from './format.js';
import type { Terminal } from './terminal.js';

export interface SyncCommandOptions extends StreamKey {
  full: boolean;
  pageSize?: number;
  json: boolean;
}

/**
 * `nango-replicator sync`: reads one stream from its stored cursor to the end, showing live progress on a
 * terminal, and prints a summary on stdout (one line, or JSON with --json).
 */
export async function syncCommand(
  app: App,
  options: SyncCommandOptions,
  io: { stdout: NodeJS.WritableStream; terminal: Terminal; signal: AbortSignal },
): Promise<ReplicateSummary> {
  const stream: StreamKey = { providerConfigKey: options.providerConfigKey, connectionId: options.connectionId, model: options.model };
  const logger = app.logger.child({ integration: stream.providerConfigKey, connection: stream.connectionId, model: stream.model });
  const summary = await replicateStream(
    { db: app.db, nango: app.nango, logger },
    {
      stream,
      schema: app.config.target.schema,
      deletes: app.config.target.deletes,
      pageSize: options.pageSize ?? app.config.nango.pageSize,
      full: options.full,
      signal: io.signal,
      onProgress: (progress) => io.terminal.status(progressLine(stream, progress)),
    },
  );
  io.terminal.clearStatus();
  io.stdout.write(options.json ? `${JSON.stringify({ stream, ...summary })}\n` : `${summaryLine(stream, summary)}\n`);
  return summary;
}

function progressLine(stream: StreamKey, p: ReplicateProgress): string {
  return `${describeStream(stream)}: page ${p.pages}, ${formatCount(p.records)} records (${formatRate(p.records, p.elapsedMs)}), ` +
    `${formatCount(p.upserted)} upserted, ${formatCount(p.deleted)} deleted`;
}

function summaryLine(stream: StreamKey, s: ReplicateSummary): string {
  const parts = [
    `${s.pages} ${s.pages === 1 ? 'page' : 'pages'}`,
    `${formatCount(s.records)} records`,
    `${formatCount(s.upserted)} upserted`,
    `${formatCount(s.deleted)} deleted`,
    `${formatCount(s.valueErrors)} value errors`,
  ];
  if (s.rejected > 0) parts.push(`${formatCount(s.rejected)} rejected (see nango_replicator.dead_letters)`);
  if (s.nulRemoved > 0) parts.push(`${formatCount(s.nulRemoved)} NUL characters removed`);
  const ending = s.complete ? 'up to date' : 'stopped before the end; run again to continue';
  return `${describeStream(stream)}: ${parts.join(', ')} in ${formatDuration(s.elapsedMs)} (${ending})`;
}
