/**
 * Shares one call of `load` between every metric collected in the same scrape: prom-client starts all
 * collectors of a scrape together, so gauges fed by one query reuse the call in flight instead of each
 * running it. Once it settles, the next scrape calls `load` again.
 */
export function scrapeOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
