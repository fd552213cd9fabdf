import ms from 'ms';

/** `6h`, `40m`, `2s`: short enough for a status row. */
const formatDuration = (periodMs: number): string => ms(Math.round(periodMs));

// The polling rule, pure: shared by the scheduled ticks (src/schedule/) and the status rows (list-stream-status.ts),
// so it lives here, below both.

/** What decides when a stream is read next (stored in `nango_replicator.streams`, see migration 0006). */
export interface PollingState {
  /** The stream's configured period (`streams[].every`), ms. */
  everyMs: number;
  /** Its ceiling when idle (`streams[].safetyNet`), ms. */
  safetyNetMs: number;
  /** The period it has backed off to; null: `every`. */
  periodMs: number | null;
  /** Reads in a row that found nothing. */
  emptyReads: number;
  /** Start of the latest read that reached the end; null before the first. */
  lastReadAt: Date | null;
  /** A hint said the stream changed at this time; it is read at its next tick if that is after `lastReadAt`. */
  readRequestedAt: Date | null;
  /** Its integration's webhooks are not arriving: it polls at `every`. */
  webhooksMissing: boolean;
  /** The fleet's budget stretch, >= 1 (see `planFleetSchedule`). */
  stretch: number;
}

export interface PollingPlan {
  /** The period the stream's changes alone call for: `every`, or backed off toward the safety net, ms. */
  basePeriodMs: number;
  /** The period it is read at: the base stretched when the fleet's budget does not allow it, ms. */
  effectivePeriodMs: number;
  /** A short reason, for `status`; null when the stream polls at its `every`. */
  reason: string | null;
}

/** The stream's period now, and why. Pure. */
export function pollingPlan(state: PollingState): PollingPlan {
  const base = state.webhooksMissing ? state.everyMs : clampPeriod(state.periodMs ?? state.everyMs, state);
  // Whole ticks (a stretched period is read at the first tick after it), never fewer than the base's.
  const inTicks = (periodMs: number) => Math.max(base, Math.max(1, Math.ceil(periodMs / state.everyMs - 1e-9)) * state.everyMs);
  const effective = inTicks(base * Math.max(1, state.stretch));
  const reasons: string[] = [];
  if (state.webhooksMissing) {
    reasons.push(`webhooks not arriving: changes came that no webhook announced; polling every ${formatDuration(state.everyMs)}`);
  } else if (base > state.everyMs) {
    reasons.push(
      `idle: ${state.emptyReads} empty reads, backed off to ${formatDuration(base)} (safety net ${formatDuration(state.safetyNetMs)})`,
    );
  }
  // Budget-limited only when the stretch lengthened it: a safety net that is no whole number of ticks is not.
  if (effective > inTicks(base))
    reasons.push(`budget-limited: effective period ${formatDuration(effective)} instead of ${formatDuration(base)}`);
  return { basePeriodMs: base, effectivePeriodMs: effective, reason: reasons.length === 0 ? null : reasons.join('; ') };
}

/**
 * Whether a scheduled tick should read the stream. Ticks come every `every`; the stream is due when its effective
 * period (whole ticks) has passed since its last read, give or take half a tick for the ticks' jitter, or a hint
 * asked for it since. Pure.
 */
export function isDue(state: PollingState, now: Date): boolean {
  if (state.lastReadAt === null) return true;
  if (state.readRequestedAt !== null && state.readRequestedAt > state.lastReadAt) return true;
  const sinceMs = now.getTime() - state.lastReadAt.getTime();
  return sinceMs >= pollingPlan(state).effectivePeriodMs - state.everyMs / 2;
}

/** The backed-off period after a read: back to `every` when it found changes, doubled (up to the safety net) when not. */
export function nextPeriodMs(state: Pick<PollingState, 'everyMs' | 'safetyNetMs' | 'periodMs'>, foundChanges: boolean): number {
  if (foundChanges) return state.everyMs;
  return clampPeriod((state.periodMs ?? state.everyMs) * 2, state);
}

function clampPeriod(periodMs: number, state: Pick<PollingState, 'everyMs' | 'safetyNetMs'>): number {
  return Math.min(Math.max(periodMs, state.everyMs), Math.max(state.safetyNetMs, state.everyMs));
}
