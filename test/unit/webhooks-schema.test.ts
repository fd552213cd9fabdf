import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNangoWebhook } from '../../src/webhooks/nango-webhook-schema.js';
import { syncFailurePayload, syncSuccessPayload } from '../helpers/sign-nango-webhook.js';

const stream = { providerConfigKey: 'github-prod', connectionId: 'acme', model: 'GithubIssue', variant: 'base' };

describe('Nango webhook bodies', () => {
  test('an incremental sync success names its stream and is not a full run', () => {
    assert.deepEqual(parseNangoWebhook(syncSuccessPayload()), {
      ok: true,
      webhook: { kind: 'sync-success', stream, syncName: 'issues', fullRun: false },
    });
  });

  test('checkpoints.from null is a full run, whatever the deprecated syncType says', () => {
    const parsed = parseNangoWebhook(syncSuccessPayload({ checkpoints: { from: null, to: { page: 9 } }, syncType: 'INCREMENTAL' }));
    assert.equal(parsed.ok && parsed.webhook.kind === 'sync-success' && parsed.webhook.fullRun, true);
  });

  test('without checkpoints, syncType INITIAL is a full run and INCREMENTAL is not', () => {
    const initial = parseNangoWebhook(syncSuccessPayload({ checkpoints: undefined, syncType: 'INITIAL' }));
    const nullCheckpoints = parseNangoWebhook(syncSuccessPayload({ checkpoints: null, syncType: 'INCREMENTAL' }));
    assert.equal(initial.ok && initial.webhook.kind === 'sync-success' && initial.webhook.fullRun, true);
    assert.equal(nullCheckpoints.ok && nullCheckpoints.webhook.kind === 'sync-success' && nullCheckpoints.webhook.fullRun, false);
  });

  test('a failure names every model of its comma-joined list, without duplicates or blanks', () => {
    const parsed = parseNangoWebhook(syncFailurePayload({ model: 'GithubIssue, GithubPullRequest,,GithubIssue' }));
    assert.deepEqual(parsed, {
      ok: true,
      webhook: {
        kind: 'sync-failure',
        streams: [stream, { ...stream, model: 'GithubPullRequest' }],
        syncName: 'issues',
        error: { type: 'script_error', description: 'The script threw: rate limited by GitHub' },
        failedAt: '2024-05-01T10:00:05.000Z',
      },
    });
  });

  test('auth, forward, async_action and types invented later are ignored, not errors', () => {
    for (const type of ['auth', 'forward', 'async_action', 'something_new']) {
      assert.deepEqual(parseNangoWebhook({ type, anything: [1, 2] }), { ok: true, webhook: { kind: 'ignored', type } });
    }
  });

  test('a sync body missing its stream fields is a problem naming the paths, not the values', () => {
    const parsed = parseNangoWebhook(syncSuccessPayload({ connectionId: '', model: undefined }));
    assert.equal(parsed.ok, false);
    assert.match(!parsed.ok ? parsed.problem : '', /connectionId/);
    assert.match(!parsed.ok ? parsed.problem : '', /model/);
    assert.deepEqual(parseNangoWebhook([1]).ok, false);
    assert.deepEqual(parseNangoWebhook({ no: 'type' }).ok, false);
  });
});
