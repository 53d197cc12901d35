import { logger } from '../lib/logger.ts';
import { dispatchDue } from '../tasks/dispatch-notifications.ts';

export interface DispatchLoop {
  /** Stops the timer and waits for a round in progress. */
  stop(): Promise<void>;
}

/**
 * The embedded stack's stand-in for the EventBridge schedule: runs the
 * dispatcher every `intervalMs`, one round at a time. A failed round is
 * logged and the next one tries again.
 */
export function startDispatchLoop(options: { intervalMs?: number } = {}): DispatchLoop {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = dispatchDue(new Date())
      .then(() => undefined)
      .catch((error: unknown) => logger.error('notification dispatch round failed', { error: error as Error }))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalMs ?? 5_000);
  timer.unref();
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
