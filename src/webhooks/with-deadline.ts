/** Thrown by `withDeadline` when the work did not settle in time. */
export class DeadlineExceeded extends Error {
  constructor(readonly afterMs: number) {
    super(`did not finish within ${afterMs} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Settles like `work`, or rejects with `DeadlineExceeded` after `ms`. The work is not cancelled: a late
 * rejection goes to `onLateError` instead of becoming an unhandled rejection.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onLateError: (error: unknown) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(new DeadlineExceeded(ms));
    }, ms);
  });
  work.then(
    () => clearTimeout(timer),
    (error: unknown) => {
      clearTimeout(timer);
      if (late) onLateError(error);
    },
  );
  return Promise.race([work, deadline]);
}
