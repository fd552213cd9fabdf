import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planStretch } from '../../src/schedule/fleet-schedule.js';
import { isDue, nextPeriodMs, pollingPlan, type PollingState } from '../../src/store/polling-plan.js';

const MIN = 60_000;
const state = (overrides: Partial<PollingState> = {}): PollingState => ({
  everyMs: 5 * MIN,
  safetyNetMs: 6 * 60 * MIN,
  periodMs: null,
  emptyReads: 0,
  lastReadAt: new Date(0),
  readRequestedAt: null,
  webhooksMissing: false,
  stretch: 1,
  ...overrides,
});
const at = (ms: number) => new Date(ms);

describe('the polling rule', () => {
  it('doubles the period after each empty read up to the safety net, and returns to every on changes', () => {
    let periodMs: number | null = null;
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) seen.push((periodMs = nextPeriodMs({ everyMs: 5 * MIN, safetyNetMs: 60 * MIN, periodMs }, false)));
    assert.deepEqual(
      seen.map((p) => p / MIN),
      [10, 20, 40, 60, 60, 60, 60, 60, 60, 60],
    );
    assert.equal(nextPeriodMs({ everyMs: 5 * MIN, safetyNetMs: 60 * MIN, periodMs: 60 * MIN }, true), 5 * MIN);
  });

  it('reads a stream never read, one past its period (give or take half a tick), or one a hint asked for', () => {
    assert.equal(isDue(state({ lastReadAt: null }), at(1)), true);
    const backedOff = state({ periodMs: 20 * MIN, emptyReads: 2 });
    assert.equal(isDue(backedOff, at(15 * MIN)), false);
    assert.equal(isDue(backedOff, at(20 * MIN - 1000)), true, 'the tick a little early still reads');
    assert.equal(isDue({ ...backedOff, readRequestedAt: at(1) }, at(5 * MIN)), true);
  });

  it("keeps every while the integration's webhooks are missing, and says why", () => {
    const plan = pollingPlan(state({ periodMs: 40 * MIN, emptyReads: 3, webhooksMissing: true }));
    assert.equal(plan.effectivePeriodMs, 5 * MIN);
    assert.match(plan.reason ?? '', /^webhooks not arriving: .*polling every 5m$/);
    assert.equal(pollingPlan(state()).reason, null);
    assert.equal(
      pollingPlan(state({ periodMs: 40 * MIN, emptyReads: 3 })).reason,
      'idle: 3 empty reads, backed off to 40m (safety net 6h)',
    );
  });

  it('stretches to whole ticks, never shorter than asked, and says budget-limited', () => {
    const plan = pollingPlan(state({ stretch: 2.4 }));
    assert.equal(plan.effectivePeriodMs, 15 * MIN);
    assert.equal(plan.reason, 'budget-limited: effective period 15m instead of 5m');
  });

  it('does not call a safety net that is no whole number of ticks budget-limited', () => {
    const idle = { everyMs: 25 * MIN, periodMs: 6 * 60 * MIN, emptyReads: 5 };
    const plan = pollingPlan(state(idle));
    assert.equal(plan.effectivePeriodMs, 375 * MIN, 'read at the first tick after 6h');
    assert.doesNotMatch(plan.reason ?? '', /budget-limited/);
    assert.match(pollingPlan(state({ ...idle, stretch: 1.5 })).reason ?? '', /budget-limited: effective period 9h instead of 6h/);
  });
});

describe('the budget plan', () => {
  const demand = { pollsPerMinute: 600, pollsAtEveryPerMinute: 900, pullsPerMinute: 20, overheadPerMinute: 4 };
  it('stretches safety-net reads into what pulls and overhead leave', () => {
    const plan = planStretch(200, demand, { active: false, share: 0.5 });
    assert.equal(plan.stretch, 600 / 176);
    assert.equal(plan.neededPerMinute, 924);
  });
  it('leaves the backfills their share while they run, and never starves the polls', () => {
    assert.equal(planStretch(200, demand, { active: true, share: 0.5 }).stretch, 600 / 76);
    assert.equal(planStretch(200, { ...demand, pullsPerMinute: 500 }, { active: false, share: 0.5 }).stretch, 600 / 20);
    assert.equal(planStretch(2000, demand, { active: false, share: 0.5 }).stretch, 1);
  });
});
