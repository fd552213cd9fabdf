import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { streamBusyMessage, streamWaitMessage } from '../../src/cli/stream-busy-message.js';
import { encodeLockToken } from '../../src/lock/lock-owner.js';

const STREAM = { providerConfigKey: 'helpdesk', connectionId: 'acme', model: 'Ticket', variant: 'base' };
const EXPIRES_AT = new Date(2026, 0, 2, 21, 4, 5); // local time, as printed

describe('the message of a sync that finds its stream held by another process', () => {
  test('it names the holder by kind, says what the holder does, and when the lock expires if that process died', () => {
    const held = (owner: string) => streamBusyMessage(STREAM, { holder: encodeLockToken(owner, null), expiresAt: EXPIRES_AT });
    assert.equal(
      held('worker-7:4242 job 99'),
      'helpdesk/acme/Ticket: skipped, a worker job (worker-7:4242 job 99) is reading this stream; it reads it to the end by ' +
        'itself; the lock expires at 21:04:05 if that process died; run again then or use --wait.',
    );
    assert.equal(
      held('laptop:311 cli sync'),
      'helpdesk/acme/Ticket: skipped, another nango-replicator sync (laptop:311) is reading this stream; it reads it to the ' +
        'end; the lock expires at 21:04:05 if that process died; run again then or use --wait.',
    );
    assert.match(
      held('worker-7:4242 backfill 12'),
      /^helpdesk\/acme\/Ticket: skipped, a backfill \(worker-7:4242 backfill 12\) is reading this stream; it reads the whole stream, which can take long; .*21:04:05/,
    );
    assert.match(held('tool:9 something else'), /skipped, another process \(tool:9 something else\) is reading this stream/);
  });

  test('a holder that released just after the stream was found busy: run again', () => {
    assert.equal(
      streamBusyMessage(STREAM, { holder: null, expiresAt: null }),
      'helpdesk/acme/Ticket: skipped, another process was reading this stream and has just finished; run sync again.',
    );
  });

  test('sync --wait says whom it waits for', () => {
    assert.equal(
      streamWaitMessage(STREAM, { holder: encodeLockToken('worker-7:4242 job 99', null), expiresAt: EXPIRES_AT }),
      'helpdesk/acme/Ticket: waiting for a worker job (worker-7:4242 job 99) to finish reading this stream (its lock expires at ' +
        '21:04:05 if that process died); Ctrl-C to stop waiting.',
    );
  });
});
