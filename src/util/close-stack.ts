import type { Logger } from 'pino';
import { withDeadline } from './with-deadline.js';

/** Resources closed in the reverse order of their opening, each at most once. */
export interface CloseStack {
  /** Registers how to close what was just opened. */
  push(name: string, close: () => Promise<unknown> | unknown): void;
  /**
   * Closes everything, last opened first. A step that throws is logged and the next one still runs; a step still
   * running after `stepTimeoutMs` is abandoned with a warning (the process is about to exit). Idempotent.
   */
  closeAll(options?: { stepTimeoutMs?: () => number }): Promise<void>;
}

export function createCloseStack(logger: Logger): CloseStack {
  const steps: Array<{ name: string; close: () => Promise<unknown> | unknown }> = [];
  let closing: Promise<void> | undefined;
  return {
    push(name, close) {
      if (closing) throw new Error(`cannot open ${name} while closing`);
      steps.push({ name, close });
    },
    closeAll(options = {}) {
      closing ??= (async () => {
        for (const step of steps.reverse()) {
          const timeoutMs = options.stepTimeoutMs?.() ?? 10_000;
          try {
            const outcome = await withDeadline(Promise.resolve().then(step.close), timeoutMs, () => 'timeout' as const);
            if (outcome === 'timeout') logger.warn({ resource: step.name, timeoutMs }, 'close took too long; abandoned');
            else logger.debug({ resource: step.name }, 'closed');
          } catch (error) {
            logger.warn({ resource: step.name, err: { message: (error as Error).message } }, 'close failed');
          }
        }
      })();
      return closing;
    },
  };
}
