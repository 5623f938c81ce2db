/**
 * `npm run gateway`: the stream gateway, configured by environment (docs/stream.md).
 * SIGTERM (ECS) and SIGINT close every client with 1001 and exit 0; a
 * configuration error exits 1 naming the variable.
 */
import { createLogger, errorMessage, exitGracefullyOnSignals } from '../shared';
import { loadGatewayConfig, type GatewayConfig } from './config';
import { Gateway } from './gateway';
import { DashboardPage } from './static-page';

const STOP_DEADLINE_MS = 5000;

async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig();
  } catch (error) {
    createLogger({ serviceName: 'gateway' }).critical(errorMessage(error));
    process.exit(1);
  }
  // Built (or read) before anything listens: a broken page fails the start, not the first visitor.
  const page = await DashboardPage.load(config.pageDir);
  const gateway = new Gateway({ config, page });
  const { logger } = gateway;
  // Nothing a client sends may take the process down; a bug is logged and the others keep streaming.
  process.on('unhandledRejection', (reason) => logger.error('unhandled promise rejection', { error: errorMessage(reason) }));
  exitGracefullyOnSignals({ logger, message: 'stopping on signal', deadlineMs: STOP_DEADLINE_MS + 1500, stop: () => gateway.stop(STOP_DEADLINE_MS) });
  await gateway.start();
}

main().catch((error: unknown) => {
  createLogger({ serviceName: 'gateway' }).critical('gateway failed to start', { error: errorMessage(error) });
  process.exit(1);
});
