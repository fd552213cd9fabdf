/**
 * The reason the entry point aborts a command with on the first SIGINT or SIGTERM. The command tells the user
 * through its logger (a JSON line in JSON mode) that it is stopping, and how to stop at once.
 */
export class StopSignal extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`received ${signal}`);
    this.name = 'StopSignal';
  }
}
