import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SyncRequestOutcome } from '../../src/webhooks/webhook-target.js';
import { syncFailurePayload, syncSuccessPayload } from '../helpers/sign-nango-webhook.js';
import { harness, RecordingTarget, signed, STREAM } from '../helpers/webhook-route-harness.js';

describe('POST /webhooks/nango acts on what Nango signed', () => {
  test('a signed sync webhook requests a sync of its stream and answers 200 at once', async () => {
    const h = await harness();
    const { body, headers } = signed(syncSuccessPayload());
    const res = await h.post(body, headers);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { outcome: 'enqueued' });
    assert.deepEqual(h.target.calls, [{ method: 'requestSync', stream: STREAM, reason: { trigger: 'nango-webhook', syncName: 'issues' } }]);
    assert.deepEqual(await h.outcomes(), { enqueued: 1 });
    assert.match(h.log.text(), /"integration":"github-prod","connection":"acme","model":"GithubIssue"/);
  });

  test('webhook types other than sync get 200 and are ignored', async () => {
    const h = await harness();
    const { body, headers } = signed({ type: 'auth', operation: 'creation', success: true, connectionId: 'acme' });
    const res = await h.post(body, headers);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { outcome: 'ignored' });
    assert.deepEqual(h.target.calls, []);
  });

  test('a failed-sync webhook is recorded on each of its models and nothing is pulled', async () => {
    const h = await harness();
    const { body, headers } = signed(syncFailurePayload());
    assert.equal((await h.post(body, headers)).statusCode, 200);
    const failure = {
      type: 'script_error',
      description: 'The script threw: rate limited by GitHub',
      syncName: 'issues',
      failedAt: '2024-05-01T10:00:05.000Z',
    };
    assert.deepEqual(h.target.calls, [
      { method: 'recordSyncFailure', stream: STREAM, failure },
      { method: 'recordSyncFailure', stream: { ...STREAM, model: 'GithubPullRequest' }, failure },
    ]);
    assert.doesNotMatch(h.log.text(), /rate limited by GitHub/, 'the description is stored, not logged');
    assert.deepEqual(await h.outcomes(), { 'failure-recorded': 1 });
  });

  test('a full run (checkpoints.from null) requests the full resync instead of a sync', async () => {
    const h = await harness();
    const { body, headers } = signed(syncSuccessPayload({ checkpoints: { from: null, to: { page: 3 } } }));
    const res = await h.post(body, headers);
    assert.deepEqual(res.json(), { outcome: 'full-resync-requested' });
    assert.deepEqual(
      h.target.calls.map((c) => c.method),
      ['requestFullResync'],
    );
  });

  test('what the target answers is passed on: a burst already queued, a stream not followed', async () => {
    const answers: SyncRequestOutcome[] = ['already-queued', 'not-followed'];
    const h = await harness(undefined, { target: new RecordingTarget(async () => answers.shift() ?? 'enqueued') });
    const { body, headers } = signed(syncSuccessPayload());
    assert.deepEqual((await h.post(body, headers)).json(), { outcome: 'already-queued' });
    assert.deepEqual((await h.post(body, headers)).json(), { outcome: 'not-followed' });
    assert.deepEqual(await h.outcomes(), { 'already-queued': 1, 'not-followed': 1 });
  });

  test('a target that fails or hangs gets 503 in time, so Nango retries', async (t) => {
    const failing = await harness(undefined, { target: new RecordingTarget(() => Promise.reject(new Error('redis down'))) });
    const { body, headers } = signed(syncSuccessPayload());
    assert.equal((await failing.post(body, headers)).statusCode, 503);

    // The 50 ms deadline on mocked timers: the answer comes when, and only when, 50 ms have been ticked.
    const target = new RecordingTarget(() => new Promise(() => {}));
    const hanging = await harness(undefined, { target, targetTimeoutMs: 50 });
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    let answered = false;
    const response = hanging.post(body, headers).finally(() => (answered = true));
    for (let turns = 0; target.calls.length === 0; turns++) {
      assert.ok(turns < 1000, 'the target was never called');
      await nextTurn();
    }
    for (let i = 0; i < 10; i++) await nextTurn();
    t.mock.timers.tick(49);
    for (let i = 0; i < 10; i++) await nextTurn();
    assert.equal(answered, false, 'no answer before the deadline');
    t.mock.timers.tick(1);
    for (let turns = 0; !answered; turns++) {
      assert.ok(turns < 1000, 'no answer at the deadline');
      await nextTurn();
    }
    assert.equal((await response).statusCode, 503);
    t.mock.timers.reset();
    assert.deepEqual(await hanging.outcomes(), { 'target-error': 1 });
  });
});
