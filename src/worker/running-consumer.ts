/** A started queue consumer (a BullMQ worker) as the composition root sees it. */
export interface RunningConsumer {
  /** Whether BullMQ's loop runs (readiness). */
  isRunning(): boolean;
  /** Resolves if the loop ends by itself (a fatal error): the process should then shut down. */
  failed: Promise<Error>;
  /** Whether its drain finished before the deadline; known once the drain has run. */
  drainedInTime(): boolean;
}
