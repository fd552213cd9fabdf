import { withDeadline as settleWithin } from '../util/with-deadline.js';

/** Thrown by `withDeadline` when the work did not settle in time. */
export class DeadlineExceeded extends Error {
  constructor(readonly afterMs: number) {
    super(`did not finish within ${afterMs} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Settles like `work`, or rejects with `DeadlineExceeded` after `ms` (the race is `util/with-deadline.ts`). The
 * work is not cancelled: a late rejection goes to `onLateError`.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onLateError: (error: unknown) => void): Promise<T> {
  let late = false;
  work.catch((error: unknown) => {
    if (late) onLateError(error);
  });
  return settleWithin(work, ms, () => {
    late = true;
    throw new DeadlineExceeded(ms);
  });
}
