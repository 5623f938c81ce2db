/**
 * `npm run collector`: the collector process, configured by environment (see the
 * README's configuration table). SIGTERM (ECS) and SIGINT stop it gracefully and
 * exit 0 within 10 s; a configuration error exits 1 naming the variable.
 */
import { createLogger, errorMessage, exitGracefullyOnSignals } from '../shared';
import { Collector } from './collector';
import { loadCollectorConfig, type CollectorConfig } from './config';

const STOP_DEADLINE_MS = 8000;

async function main(): Promise<void> {
  let config: CollectorConfig;
  try {
    config = loadCollectorConfig();
  } catch (error) {
    createLogger({ serviceName: 'collector' }).critical(errorMessage(error));
    process.exit(1);
  }
  const collector = new Collector({ config });
  const { logger } = collector;

  // A bug must not take down a process holding thousands of streams: count it,
  // log it, keep running. The state machine and /ready report what is affected.
  process.on('unhandledRejection', (reason) => {
    collector.metrics.errors.inc({ component: 'process', code: 'UNHANDLED_REJECTION' });
    logger.error('unhandled promise rejection', { error: errorMessage(reason) });
  });

  exitGracefullyOnSignals({ logger, message: 'stopping on signal', deadlineMs: STOP_DEADLINE_MS + 1500, stop: () => collector.stop(STOP_DEADLINE_MS) });

  await collector.start();
}

main().catch((error: unknown) => {
  createLogger({ serviceName: 'collector' }).critical('collector failed to start', { error: errorMessage(error) });
  process.exit(1);
});
