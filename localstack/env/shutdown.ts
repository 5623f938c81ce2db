/**
 * Parts of the local pipeline in the order they stop: against the data flow, so
 * whatever a part still writes on its way out finds its consumer running. The
 * stream gateway goes first (its browsers get 1001 and stop reconnecting to a
 * pipeline that is going away; it only reads Redis); the collector flushes its last states to Redis and its last batches to SQS; the
 * simulator only fed the collector; the ingest runner finishes its batches and
 * deletes them from the queue (so the SQS endpoint must outlive it); the API
 * uses Redis and PostgreSQL; the services go last.
 */
export const SHUTDOWN_ORDER = ['gateway', 'collector', 'simulator', 'ingest', 'api', 'sqs', 'redis', 'postgres'] as const;

export type PipelinePart = (typeof SHUTDOWN_ORDER)[number];

export interface ShutdownStep {
  part: PipelinePart;
  /** Printed while it stops, e.g. "ingest runner". */
  name: string;
  /** Resolves once the part has exited. */
  stop: () => Promise<void>;
}

/** The steps in SHUTDOWN_ORDER; steps of the same part keep the order they were given in. */
export function orderShutdown(steps: readonly ShutdownStep[]): ShutdownStep[] {
  const rank = (step: ShutdownStep) => SHUTDOWN_ORDER.indexOf(step.part);
  return [...steps].sort((a, b) => rank(a) - rank(b));
}

export interface StopReporter {
  stopping?: (step: ShutdownStep) => void;
  failed: (step: ShutdownStep, error: unknown) => void;
}

/**
 * Stops one part at a time, each awaited before the next begins. A part that
 * fails to stop is reported and the rest still stop: leaving services running
 * because an earlier step threw would block the next start on busy ports.
 */
export async function stopInOrder(steps: readonly ShutdownStep[], reporter: StopReporter): Promise<void> {
  for (const step of orderShutdown(steps)) {
    reporter.stopping?.(step);
    try {
      await step.stop();
    } catch (error) {
      reporter.failed(step, error);
    }
  }
}
