/**
 * How far V8 lets a worker's old space grow past what survived its last full collection before it collects again,
 * percent (V8's `--heap-growing-percent`). V8's own factor is up to 4x on a machine with memory to spare, and a
 * worker promotes the state of every job in flight (it outlives a few young-generation collections), so at 30,000
 * streams a worker whose live heap is 50 to 90 MB grew its old space to 300 MB of garbage (docs/performance.md,
 * "Worker memory at 30,000 streams"). 30% keeps the old space within 1.3x of the live heap for a few percent of CPU.
 */
export const WORKER_HEAP_GROWTH_PERCENT = 30;

/** The V8 flags a user already chose for the heap's size or growth (then the worker leaves them alone). */
const HEAP_FLAGS = /--(heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size)\b/;

/**
 * Sets V8's heap growing factor for a long-running worker (read by V8 at each collection, so it takes effect when set
 * after start), unless the process was started with its own heap flags (`node --max-old-space-size=...`, or in
 * `NODE_OPTIONS`). Returns the percent set, or null when the user's flags stand.
 */
export function limitHeapGrowth(deps: {
  execArgv: ReadonlyArray<string>;
  nodeOptions: string | undefined;
  setFlags(flags: string): void;
}): number | null {
  if (deps.execArgv.some((arg) => HEAP_FLAGS.test(arg)) || HEAP_FLAGS.test(deps.nodeOptions ?? '')) return null;
  deps.setFlags(`--heap-growing-percent=${WORKER_HEAP_GROWTH_PERCENT}`);
  return WORKER_HEAP_GROWTH_PERCENT;
}
