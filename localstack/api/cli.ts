/**
 * `npm run api`: the config API's Lambda handler behind the local API Gateway,
 * on API_PORT (default 3000), against DATABASE_URL and REDIS_URL. Requests are
 * SigV4-signed (service execute-api, region AWS_REGION) with the reader or admin
 * key printed at start-up (docs/api-local.md).
 */
import { createLogger } from '../../services/shared/logger';
import { exitGracefullyOnSignals, runMain } from '../../services/shared/process';
import { loadLocalApiConfig } from './config';
import { describeLocalApi, startLocalApi } from './run';

async function main(): Promise<void> {
  const config = loadLocalApiConfig();
  // EMF lines only mean something to CloudWatch; locally they are noise unless asked for.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const logger = createLogger({ serviceName: 'api-local' });
  const api = await startLocalApi({ ...config, logger });
  console.log(describeLocalApi(api).join('\n'));
  exitGracefullyOnSignals({
    logger,
    message: 'stopping the local API after the requests in flight',
    // Requests in flight get API Gateway's integration timeout, then the process goes anyway.
    deadlineMs: 35_000,
    stop: () => api.close(),
  });
}

if (require.main === module) runMain(main);
