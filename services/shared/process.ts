import { errorMessage } from './errors';
import type { Logger } from './logger';

export interface GracefulStopOptions {
  logger: Logger;
  /** What to stop; resolves when done. */
  stop: (signal: NodeJS.Signals) => Promise<void>;
  /** A hard deadline in case something hangs (ECS kills at its stopTimeout anyway). */
  deadlineMs?: number;
  /** Logged with the signal, e.g. "stopping the simulator". */
  message?: string;
}

/**
 * SIGTERM (ECS, npm start) and SIGINT (Ctrl-C) stop the process gracefully once:
 * exit 0 when `stop` resolves, 1 when it fails or outlives the deadline. One
 * implementation for every long-running entry point.
 */
export function exitGracefullyOnSignals(options: GracefulStopOptions): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    options.logger.info(options.message ?? 'stopping', { signal });
    if (options.deadlineMs !== undefined) {
      setTimeout(() => {
        options.logger.error('graceful stop exceeded its deadline; exiting', { deadlineMs: options.deadlineMs });
        process.exit(1);
      }, options.deadlineMs).unref();
    }
    options.stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        options.logger.error('stop failed', { error: errorMessage(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/** Runs an entry point's `main`, printing a start-up failure and exiting 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(errorMessage(error));
    process.exit(1);
  });
}
