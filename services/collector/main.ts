/**
 * `npm run collector`: the collector process, configured by environment (see the
 * README's configuration table). SIGTERM (ECS) and SIGINT stop it gracefully and
 * exit 0 within 10 s; a configuration error exits 1 naming the variable.
 */
import { createLogger, errorMessage } from '../shared';
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

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping on signal', { signal });
    // A hard deadline, in case something hangs: ECS kills at stopTimeout anyway.
    const force = setTimeout(() => {
      logger.error('graceful stop exceeded its deadline; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS + 1500);
    force.unref();
    collector.stop(STOP_DEADLINE_MS).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('stop failed', { error: errorMessage(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  await collector.start();
}

main().catch((error: unknown) => {
  createLogger({ serviceName: 'collector' }).critical('collector failed to start', { error: errorMessage(error) });
  process.exit(1);
});
