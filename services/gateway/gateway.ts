import { createLogger, errorMessage, type Logger } from '../shared';
import type { GatewayConfig } from './config';
import { Gauge } from 'prom-client';
import { ChartBook } from './chart';
import { StreamHub } from './hub';
import { GatewayMetrics } from './metrics';
import { RedisSource } from './redis-source';
import { GatewayServer } from './server';
import type { DashboardPage } from './static-page';
import { secretsManagerStageReader, TokenKeyring, type SecretStageReader } from './token-keys';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface GatewayOptions {
  config: GatewayConfig;
  logger?: Logger;
  /** The dashboard served at `/` (main.ts loads it; tests of the stream alone go without). */
  page?: DashboardPage;
  /** Reads the token secret's stages (tests); default Secrets Manager, honouring AWS_ENDPOINT_URL. */
  readTokenSecret?: SecretStageReader;
}

/** The stream gateway process: Redis source, hub, HTTP/WebSocket/SSE server. Stateless; run as many as needed. */
export class Gateway {
  readonly metrics = new GatewayMetrics();
  readonly logger: Logger;
  readonly hub: StreamHub;
  readonly charts: ChartBook;
  private readonly source: RedisSource;
  private readonly server: GatewayServer;
  private port: number | undefined;
  private readonly keyring: TokenKeyring | undefined;

  constructor(private readonly options: GatewayOptions) {
    const { config } = options;
    this.logger = options.logger ?? createLogger({ serviceName: 'gateway', logLevel: config.logLevel });
    if (config.tokenSecretArn) {
      const secretArn = config.tokenSecretArn;
      this.keyring = new TokenKeyring({
        secretArn,
        read: options.readTokenSecret ?? secretsManagerStageReader(new SecretsManagerClient({}), secretArn),
        refreshMs: config.tokenRefreshMs,
        logger: this.logger,
        onRefreshFailed: () => this.metrics.tokenKeyRefreshFailures.inc(),
      });
    }
    this.source = new RedisSource({
      url: config.redisUrl,
      ...(config.redisPassword ? { password: config.redisPassword } : {}),
      tls: config.redisTls,
      commandTimeoutMs: config.redisCommandTimeoutMs,
      exchanges: config.exchanges,
      metrics: this.metrics,
      logger: this.logger,
      onRates: (exchange, rates) => {
        // Runs inside ioredis's reply parser: a bug in the fan-out must be logged, not thrown into it.
        try {
          this.charts.record(exchange, rates);
          this.hub.deliver(exchange, rates);
        } catch (error) {
          this.logger.error('fan-out of a rates message failed', { exchange, error: errorMessage(error) });
        }
      },
      onSubscribed: (resumed) => {
        if (resumed) this.hub.resnapshotAll();
      },
    });
    this.charts = new ChartBook({ seconds: config.chartSeconds, maxSymbols: config.chartMaxSymbols, onRefused: () => this.metrics.chartRefused.inc() });
    const charts = this.charts;
    new Gauge({
      name: 'gateway_chart_symbols',
      help: 'Symbols whose recent prices the chart channel holds',
      registers: [this.metrics.registry],
      collect() {
        this.set(charts.symbols);
      },
    });
    this.hub = new StreamHub(config, this.source, this.metrics, this.logger, this.charts);
    this.server = new GatewayServer({
      hub: this.hub,
      metrics: this.metrics,
      logger: this.logger,
      auth: config.auth,
      tokenSecrets: () => this.keyring?.keys() ?? config.tokenSecrets,
      onUnknownKey: () => void this.keyring?.refreshSoon(),
      maxMessageBytes: config.maxMessageBytes,
      trustProxy: config.trustProxy,
      exchanges: config.exchanges,
      ...(options.page ? { page: options.page } : {}),
      ready: () => (this.source.isSubscribed ? { ready: true, reasons: [] } : { ready: false, reasons: ['Redis subscriber is not subscribed to the rates channels'] }),
    });
  }

  /** Listens first (so /health answers while Redis connects), then subscribes; resolves with the port. */
  async start(): Promise<number> {
    const { config } = this.options;
    // Keys before listening: a gateway that cannot verify tokens must not take traffic.
    await this.keyring?.start();
    this.port = await this.server.listen(config.port, config.host);
    this.hub.start();
    await this.source.start();
    this.logger.info('stream gateway listening', { port: this.port, exchanges: config.exchanges, auth: config.auth, conflateMs: config.conflateMs, url: `http://127.0.0.1:${this.port}/` });
    return this.port;
  }

  /** Reads the token signing secret again now (a no-op without GATEWAY_TOKEN_SECRET_ARN); a failure keeps the old keys. */
  async refreshTokenKeys(): Promise<void> {
    await this.keyring?.refresh();
  }

  /** Closes clients with 1001, then Redis. */
  async stop(deadlineMs = 3000): Promise<void> {
    this.hub.stop();
    this.keyring?.stop();
    await this.server.close(deadlineMs);
    await this.source.stop();
  }
}
