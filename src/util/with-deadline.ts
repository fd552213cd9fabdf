/**
 * Settles like `work`, or, if `ms` pass first, like `onTimeout()` (its value, or what it throws). The timer is
 * cleared either way. `work` is not cancelled: a late settlement is ignored (a late rejection included, so it never
 * becomes an unhandled rejection); a caller that must hear of it attaches its own handler to `work`.
 */
export async function withDeadline<T, U>(work: Promise<T>, ms: number, onTimeout: () => U | Promise<U>): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, ms, 'timeout')));
  try {
    const first = await Promise.race([work.then((value) => ({ value })), deadline]);
    return first === 'timeout' ? await onTimeout() : first.value;
  } finally {
    clearTimeout(timer);
  }
}
