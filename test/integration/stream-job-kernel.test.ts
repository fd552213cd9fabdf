import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { ReplicatorError } from '../../src/errors/replicator-error.js';
import { runStreamJob, type StreamJob, type StreamRead } from '../../src/lock/run-stream-job.js';
import { createStreamPullMarks } from '../../src/lock/stream-pull-marks.js';
import { createRedisLocks } from '../../src/lock/redis-locks.js';
import { createDatabase } from '../../src/store/create-database.js';
import { ensureStream } from '../../src/store/ensure-stream.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import type { StreamKey } from '../../src/stream/stream-key.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { useRedisTestPrefix } from '../helpers/redis-test-prefix.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const STREAM: StreamKey = { providerConfigKey: 'helpdesk', connectionId: 'acme', model: 'Ticket', variant: 'base' };

/** What the policies below return: enough to see what the kernel handed them. */
type Seen = { busy: true; holder: string | null; marked: boolean } | { busy: false; pullMark: string | null; read: StreamRead<string> };

describe('one protocol for every reader of a stream: lock, read, note, serve the pull mark', () => {
  const { prefix, redis } = useRedisTestPrefix('stream-job-kernel');
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;
  const captured = captureLogger();
  const locks = () => createRedisLocks({ redis }, { keyPrefix: `${prefix}lock:`, ttlMs: 5000 });
  const pullMarks = createStreamPullMarks({ redis }, { keyPrefix: `${prefix}pull-requested:`, ttlMs: 60_000 });
  const deps = () => ({ db, locks: locks(), pullMarks, logger: captured.logger });
  const job = (overrides: Partial<StreamJob<string, Seen>>): StreamJob<string, Seen> => ({
    stream: STREAM,
    owner: 'test-host:1 job 1',
    signal: new AbortController().signal,
    read: async () => 'read',
    busy: (busy) => ({ busy: true, holder: busy.holder, marked: busy.marked }),
    afterRelease: async (pullMark, read) => ({ busy: false, pullMark, read }),
    ...overrides,
  });

  before(async () => {
    database = await createTestDatabase('stream_job_kernel');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
    await ensureStream(db, STREAM);
  });
  after(async () => {
    await db.destroy();
    await database.drop();
  });

  test('a stream another job holds is not read: the caller hears who holds it, and its request waits as a pull mark', async () => {
    let holderDone!: () => void;
    const holding = new Promise<void>((resolve) => (holderDone = resolve));
    let holderReading!: () => void;
    const reading = new Promise<void>((resolve) => (holderReading = resolve));
    const holdTheStream = async () => {
      holderReading();
      await holding;
      return 'held';
    };
    const holder = runStreamJob(deps(), job({ owner: 'holder', read: holdTheStream }));
    await reading;
    let secondRead = false;
    const readSecond = async () => {
      secondRead = true;
      return 'x';
    };
    const busy = await runStreamJob(deps(), job({ owner: 'second', markIfBusy: true, read: readSecond }));
    assert.equal(secondRead, false, 'the busy job does not read');
    assert.ok(busy.busy && busy.marked && busy.holder?.includes('holder'));
    holderDone();
    const served = await holder;
    assert.ok(!served.busy && served.pullMark?.startsWith('second'), 'the holder is handed the request left meanwhile');
    assert.deepEqual(served.read, { status: 'read', value: 'held' });
  });

  test('a read that gives way to another run ends superseded, not failed, and nothing is stored on the stream', async () => {
    const stream_taken = new ReplicatorError('stream_taken', 'another run moved the cursor', { retry: 'terminal' });
    const served = await runStreamJob(
      deps(),
      job({
        read: async () => {
          throw stream_taken;
        },
        failure: { what: 'sync job', attempts: { made: 0, allowed: 3 } },
      }),
    );
    assert.ok(!served.busy);
    assert.deepEqual(served.read, { status: 'superseded' });
    const row = await db.selectFrom('nango_replicator.streams').select('last_error').executeTakeFirstOrThrow();
    assert.equal(row.last_error, null);
  });

  test('a failure is logged with whether it is retried, stored on the stream for status, and rethrown', async () => {
    const noted: unknown[] = [];
    await assert.rejects(
      runStreamJob(
        deps(),
        job({
          read: async () => {
            throw new Error('Nango is down');
          },
          failure: { what: 'sync job', attempts: { made: 0, allowed: 3 }, onFailure: (summary) => void noted.push(summary) },
        }),
      ),
      /Nango is down/,
    );
    assert.match(captured.text(), /sync job failed; BullMQ retries it/);
    assert.equal(noted.length, 1);
    const row = await db.selectFrom('nango_replicator.streams').select('last_error').executeTakeFirstOrThrow();
    assert.match(JSON.stringify(row.last_error), /Nango is down/);
  });

  test('a read stopped by shutdown ends interrupted when the caller asks so, and the lock is free again', async () => {
    const shutdown = new AbortController();
    const served = await runStreamJob(
      deps(),
      job({
        signal: shutdown.signal,
        interruptOnStop: true,
        read: async (stop) => {
          shutdown.abort(new Error('shutting down'));
          stop.throwIfAborted();
          return 'unreachable';
        },
      }),
    );
    assert.ok(!served.busy);
    assert.deepEqual(served.read, { status: 'interrupted' });
    const next = await runStreamJob(deps(), job({ owner: 'next' }));
    assert.ok(!next.busy, 'the next job takes the stream');
  });
});
