import { BASE_VARIANT, type StreamKey } from './stream-key.js';

/** A stream as a queue message names it: `variant` only when it is not base. */
export interface StreamMessageFields {
  providerConfigKey: string;
  connectionId: string;
  model: string;
  variant?: string;
}

/**
 * The fields that name `stream` in a queue message (sync jobs, their schedulers' templates, backfills). The base
 * variant is left out, so a base stream's messages are exactly those of the versions before variants: a job
 * scheduler's template stays equal to the one already stored (the reconciler compares them and would otherwise
 * rewrite every scheduler once), and an older worker still reading the queue during an upgrade accepts them.
 */
export function streamMessageFields(stream: StreamKey): StreamMessageFields {
  const fields = { providerConfigKey: stream.providerConfigKey, connectionId: stream.connectionId, model: stream.model };
  return stream.variant === BASE_VARIANT ? fields : { ...fields, variant: stream.variant };
}
