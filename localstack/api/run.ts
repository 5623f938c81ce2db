import { errorMessage } from '../../services/shared/errors';
import { createLogger, type Logger } from '../../services/shared/logger';
import type { LocalApiConfig } from './config';
import { createLocalGateway, type ProxyHandler } from './gateway';
import type { LocalKey, LocalKeys } from './keys';

/** What `lambdas/api/local` provides: the Lambda's handler with local connections. */
export interface LocalApiBackend {
  handler: ProxyHandler;
  /** What the AWS schedule (EventBridge, every minute) invokes; absent in fakes. */
  reconcile?: () => Promise<unknown>;
  close(): Promise<void>;
}

export type CreateBackend = (options: { databaseUrl: string; redisUrl: string; readerArns: string[]; adminArns: string[]; logger?: Logger }) => Promise<LocalApiBackend>;

export interface StartLocalApiOptions extends Pick<LocalApiConfig, 'databaseUrl' | 'redisUrl' | 'region' | 'keys'> {
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  logger?: Logger;
  /** Default `createLocalApi` of lambdas/api/local; tests pass a fake. */
  createBackend?: CreateBackend;
  /** How often to reconcile the Redis config snapshot, as the AWS schedule does; default 60 s, 0 never. */
  reconcileIntervalMs?: number;
}

export interface RunningLocalApi {
  url: string;
  region: string;
  keys: LocalKeys;
  /** Stops the gateway (requests in flight finish), the reconcile timer, then the handler's connections. */
  close(): Promise<void>;
}

export const RECONCILE_INTERVAL_MS = 60_000;

async function defaultBackend(options: Parameters<CreateBackend>[0]): Promise<LocalApiBackend> {
  // Loaded on use so the gateway (and its tests) do not pull in pg and ioredis.
  const { createLocalApi } = await import('../../lambdas/api/local');
  return createLocalApi(options);
}

/**
 * Runs `reconcile` every `intervalMs` (never two at once), as EventBridge invokes
 * the function in AWS; failures are logged and the next run comes anyway.
 */
export function scheduleReconcile(reconcile: () => Promise<unknown>, intervalMs: number, logger: Logger): () => Promise<void> {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = reconcile()
      .then(
        (result) => logger.debug('reconciled the config snapshot', { result: result as Record<string, unknown> }),
        (error: unknown) => logger.warn('reconciling the config snapshot failed; retrying at the next interval', { error: errorMessage(error) }),
      )
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/** The api Lambda's handler behind the local gateway, in this process. */
export async function startLocalApi(options: StartLocalApiOptions): Promise<RunningLocalApi> {
  const logger = options.logger ?? createLogger({ serviceName: 'api-local' });
  const createBackend = options.createBackend ?? defaultBackend;
  const { reader, admin } = options.keys;
  const backend = await createBackend({
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    readerArns: [reader.principalArn],
    adminArns: [admin.principalArn],
    logger,
  });
  const gateway = createLocalGateway({ handler: backend.handler, keys: [reader, admin], region: options.region, logger });
  let url: string;
  try {
    url = await gateway.listen(options.port ?? 3000, options.host ?? '127.0.0.1');
  } catch (error) {
    await backend.close();
    throw error;
  }
  const intervalMs = options.reconcileIntervalMs ?? RECONCILE_INTERVAL_MS;
  const stopReconcile = backend.reconcile && intervalMs > 0 ? scheduleReconcile(backend.reconcile, intervalMs, logger) : async () => undefined;
  return {
    url,
    region: options.region,
    keys: options.keys,
    async close() {
      await gateway.close();
      await stopReconcile();
      await backend.close();
    },
  };
}

/**
 * The environment for running `localstack/api/cli.ts` as a child process (the
 * alternative to startLocalApi in-process): keys passed in so the parent can
 * print the same ones, plus the endpoints.
 */
export function localApiChildEnv(options: Pick<LocalApiConfig, 'databaseUrl' | 'redisUrl' | 'region' | 'keys'> & { port: number }): Record<string, string> {
  return {
    API_PORT: String(options.port),
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    AWS_REGION: options.region,
    LOCAL_READER_KEY_ID: options.keys.reader.accessKeyId,
    LOCAL_READER_SECRET: options.keys.reader.secretAccessKey,
    LOCAL_ADMIN_KEY_ID: options.keys.admin.accessKeyId,
    LOCAL_ADMIN_SECRET: options.keys.admin.secretAccessKey,
  };
}

function keyLines(label: string, key: LocalKey): string[] {
  return [`  ${label.padEnd(6)} key id ${key.accessKeyId}  secret ${key.secretAccessKey}  ${key.principalArn}${key.generated ? '  (generated)' : ''}`];
}

/** The lines `npm run api` (and `npm start`) print: URL, both keys, and a request to copy. */
export function describeLocalApi(api: Pick<RunningLocalApi, 'url' | 'region' | 'keys'>): string[] {
  const sigv4 = `aws:amz:${api.region}:execute-api`;
  return [
    `config API (local gateway, SigV4 service execute-api, region ${api.region}): ${api.url}`,
    ...keyLines('reader', api.keys.reader),
    ...keyLines('admin', api.keys.admin),
    '  try:',
    `    curl --aws-sigv4 "${sigv4}" --user "${api.keys.reader.accessKeyId}:${api.keys.reader.secretAccessKey}" ${api.url}/v1/rates`,
    `    curl --aws-sigv4 "${sigv4}" --user "${api.keys.admin.accessKeyId}:${api.keys.admin.secretAccessKey}" -X PUT -H 'content-type: application/json' \\`,
    `      --data '{"enabled":true,"streams":["aggTrade"]}' ${api.url}/v1/symbols/binance/BTCUSDT`,
    '  keys change at every start unless LOCAL_READER_KEY_ID / LOCAL_READER_SECRET and LOCAL_ADMIN_KEY_ID / LOCAL_ADMIN_SECRET are set (docs/api-local.md)',
  ];
}
