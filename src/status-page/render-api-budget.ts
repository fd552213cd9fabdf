import { describeFleetBudget } from '../ratelimit/describe-fleet-budget.js';
import type { FleetBudget } from '../ratelimit/read-fleet-budget.js';
import { escapeHtml } from './escape-html.js';
import { formatCount } from '../util/format-count.js';
import { formatDuration } from './format-duration.js';

/** The Nango account's request budget as last reported by Nango, and the replicator's share of it. */
export interface ApiBudget {
  /** Requests per minute the account allows (X-RateLimit-Limit); null before any response was seen. */
  accountLimit: number | null;
  /** Requests left in the account's current window (X-RateLimit-Remaining); null when unknown. */
  remaining: number | null;
  /** End of the account's current window (X-RateLimit-Reset); null when unknown. */
  resetsAt: Date | null;
  /** Fraction of the account budget the replicator may spend, (0, 1]; null when no shared limiter is set up. */
  share: number | null;
  /** What the fleet's buckets grant (see `readFleetBudget`); absent when unknown. */
  fleet?: FleetBudget | null;
  /** The fleet's schedule against the budget (e.g. `budget-limited: ...`, see `describeFleetSchedule`); absent or null: none. */
  schedule?: string | null;
}

/**
 * The budget line of the status page: requests used in the account's current window as a bar, with a tick at
 * the replicator's share. Usage is account-wide (every client of the account), as Nango counts it.
 */
export function renderApiBudget(budget: ApiBudget | null, now: Date): string {
  const fleet = budget?.fleet ? `<p class="fleet">${escapeHtml(describeFleetBudget(budget.fleet))}</p>` : '';
  if (budget === null || budget.accountLimit === null || budget.accountLimit <= 0) {
    return `<section class="budget"><h2>API budget</h2><p class="none">No response from Nango seen yet.</p>${fleet}${schedule(budget)}</section>`;
  }
  const limit = budget.accountLimit;
  const windowOver = budget.resetsAt !== null && budget.resetsAt.getTime() <= now.getTime();
  const used = budget.remaining === null || windowOver ? null : Math.max(0, limit - budget.remaining);
  const pct = used === null ? 0 : Math.min(100, (used / limit) * 100);
  const share =
    budget.share === null
      ? ''
      : `; the replicator may spend ${Math.round(budget.share * 100)}% (${formatCount(Math.floor(limit * budget.share))}/min, red mark)`;
  const usage =
    used === null
      ? 'no request seen in the current window'
      : `${formatCount(used)} of ${formatCount(limit)} used in the current window (${pct.toFixed(0)}%)`;
  const reset =
    budget.resetsAt === null || windowOver ? '' : `, resets in ${formatDuration((budget.resetsAt.getTime() - now.getTime()) / 1000)}`;
  const tick = budget.share === null ? '' : `<span class="share" style="left:${(budget.share * 100).toFixed(1)}%"></span>`;
  return (
    '<section class="budget"><h2>API budget</h2>' +
    `<div class="meter" role="meter" aria-valuemin="0" aria-valuemax="${limit}" aria-valuenow="${used ?? 0}"><span class="used" style="width:${pct.toFixed(1)}%"></span>${tick}</div>` +
    `<p>${escapeHtml(`${formatCount(limit)} requests/min for the account${share}. ${usage}${reset}.`)}</p>${fleet}${schedule(budget)}</section>`
  );
}

function schedule(budget: ApiBudget | null): string {
  const note = budget?.schedule;
  return note === undefined || note === null ? '' : `<p class="schedule">Schedule: ${escapeHtml(note)}</p>`;
}
