import type { SimulatorHandle } from '../../services/simulator';

/** The collector's environment in end-to-end tests: the simulator, a test Redis, a history queue. */
export function e2eCollectorEnv(options: { sim: SimulatorHandle; redisUrl: string; collectorId: string; queueUrl: string; sqsEndpoint: string; region: string }): Record<string, string> {
  return {
    BINANCE_WS_URL: options.sim.wsUrl,
    BINANCE_REST_URL: options.sim.restUrl,
    REDIS_URL: options.redisUrl,
    HTTP_PORT: '0',
    SYMBOLS: 'ALL',
    LOG_LEVEL: 'ERROR',
    COLLECTOR_ID: options.collectorId,
    SQS_QUEUE_URL: options.queueUrl,
    AWS_ENDPOINT_URL: options.sqsEndpoint,
    AWS_REGION: options.region,
    SPILL_DIR: `${process.env.TMPDIR ?? '/tmp'}/mdc-e2e-spill-${options.collectorId}-${Date.now()}`,
  };
}
