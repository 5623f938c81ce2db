import { request } from 'node:http';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { loadGatewayConfig } from '../../../services/gateway/config';
import { Gateway, type GatewayOptions } from '../../../services/gateway/gateway';

import { RedisRatesWriter } from '../../../services/collector/sinks/redis';
import { ratesChannel, type RateState } from '../../../services/shared/rates';
import { openTestRedis, testRedisDb, type TestRedis } from '../../support';

/** Waits for `check` to hold; a deadline only so a broken test fails instead of hanging. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, deadlineMs = 10_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export type Message = Record<string, unknown> & { type: string };

/** A WebSocket client that keeps every message it got. */
export class TestClient {
  readonly messages: Message[] = [];
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.messages.push(JSON.parse(String(data)) as Message));
    ws.on('close', (code) => (this.closeCode = code));
  }

  static async connect(url: string): Promise<TestClient> {
    const ws = new WebSocket(url);
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  ofType(type: string): Message[] {
    return this.messages.filter((m) => m.type === type);
  }

  /** Every rate received in updates, in order. */
  updates(): Record<string, string>[] {
    return this.ofType('update').flatMap((m) => m.rates as Record<string, string>[]);
  }

  /** The newest ts received for a symbol (snapshot or update). */
  latestTs(symbol: string): number | undefined {
    let latest: number | undefined;
    for (const m of this.messages) if (m.type === 'update' || m.type === 'snapshot') for (const r of m.rates as Record<string, string>[]) if (r.symbol === symbol) latest = Number(r.ts);
    return latest;
  }

  async waitFor(predicate: (m: Message) => boolean, what: string): Promise<Message> {
    return eventually(() => this.messages.find(predicate), what);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** The HTTP status and body of a WebSocket upgrade the gateway refused. */
export function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; opened: boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '', opened: true });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, opened: false }));
    });
    ws.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

/** A plain GET: status, headers and the whole body. */
export function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

export const state = (symbol: string, ts: number, overrides: Partial<RateState> = {}): RateState => ({ symbol, priceText: `${100 + (ts % 1000)}.5`, ts, tradeTs: ts - 2, change1m: 0.5, change5m: -1.25, flags: [], ...overrides });

/**
 * One gateway in this process against the worker's Redis db, on an exchange
 * name of its own (pub/sub channels are shared by every db index), with the
 * collector's own RedisRatesWriter as the publisher.
 */
export class GatewayHarness {
  gateway!: Gateway;
  redis!: TestRedis;
  port = 0;
  readonly exchange = `gw${process.pid}${Math.floor(Math.random() * 1e6)}`;
  private readonly clients: TestClient[] = [];
  private readonly connections: Redis[] = [];
  private readonly writers = new Map<string, RedisRatesWriter>();

  async start(env: Record<string, string> = {}, options: Omit<GatewayOptions, 'config'> = {}): Promise<void> {
    this.redis ??= await openTestRedis();
    const config = loadGatewayConfig({ REDIS_URL: this.redis.url, GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1', GATEWAY_EXCHANGES: this.exchange, LOG_LEVEL: 'SILENT', ...env });
    this.gateway = new Gateway({ config, ...options });
    this.port = await this.gateway.start();
  }

  /**
   * An exchange name of this harness's own for `label` (okx, bybit...): as unique as `exchange`,
   * because other test files publish on the shared `rates:okx` channels too.
   */
  exchangeNamed(label: string): string {
    return `${this.exchange}${label}`.slice(0, 20);
  }

  /** The db index of the worker's test Redis. */
  dbIndex(): number {
    return testRedisDb();
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/v1/stream`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async client(query = ''): Promise<TestClient> {
    const client = await TestClient.connect(`${this.wsUrl}${query}`);
    this.clients.push(client);
    return client;
  }

  /** The collector's writer: hashes, rank sets and the channel message exactly as in production. */
  writer(exchange = this.exchange): RedisRatesWriter {
    let writer = this.writers.get(exchange);
    if (!writer) {
      const connection = new Redis(this.redis.url);
      this.connections.push(connection);
      writer = new RedisRatesWriter({ redis: connection, exchange, ttlSeconds: 300, flushIntervalMs: 1 });
      this.writers.set(exchange, writer);
    }
    return writer;
  }

  async write(...states: RateState[]): Promise<void> {
    await this.writeTo(this.exchange, ...states);
  }

  /** As write, for another exchange (see `exchangeNamed`). */
  async writeTo(exchange: string, ...states: RateState[]): Promise<void> {
    const writer = this.writer(exchange);
    for (const s of states) writer.update(s);
    await writer.flush();
  }

  /** Publishes a message directly, as a message delivered late would arrive (the writer's script never publishes an older ts). */
  async publish(rates: Record<string, string>[]): Promise<void> {
    await this.redis.client.publish(ratesChannel(this.exchange), JSON.stringify(rates));
  }

  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = await this.gateway.metrics.registry.getSingleMetric(name)?.get();
    const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
    return value?.value ?? 0;
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.close();
    for (const writer of this.writers.values()) await writer.close();
    for (const connection of this.connections) connection.disconnect();
    await this.gateway?.stop(500);
    await this.redis?.cleanup();
  }
}
