import { ConfigError, type Logger } from '../../shared';
import type { CollectorMetrics } from '../metrics';
import type { ExchangeAdapter } from './adapter';
import { type BinanceAdapter, createBinanceAdapter } from './binance';
import { type BybitAdapter, createBybitAdapter } from './bybit';
import { createOkxAdapter, type OkxAdapter } from './okx';

export const EXCHANGE_IDS = ['binance', 'okx', 'bybit'] as const;
export type ExchangeId = (typeof EXCHANGE_IDS)[number];

export function isExchangeId(value: string): value is ExchangeId {
  return (EXCHANGE_IDS as readonly string[]).includes(value);
}

/** What every exchange's adapter takes; each factory (`createOkxAdapter`, ...) offers the rest. */
export interface ExchangeAdapterOptions {
  /** BINANCE_REST_URL / OKX_REST_URL / BYBIT_REST_URL; the exchange's public API when absent. */
  restUrl?: string;
  /** Frames longer than this are rejected as `oversized` before parsing. */
  maxFrameBytes?: number;
  /** Client-ping exchanges (OKX, Bybit): the keepalive interval; their documented 20 s when absent. Tests shorten it. */
  pingIntervalMs?: number;
  metrics?: CollectorMetrics;
  logger?: Logger;
  fetch?: typeof fetch;
  /** Binance only: the REST weight a minute this process may spend (REST_WEIGHT_LIMIT); OKX and Bybit limit per endpoint. */
  restWeightLimitPerMinute?: number;
}

export function createExchangeAdapter(exchange: 'binance', options?: ExchangeAdapterOptions): BinanceAdapter;
export function createExchangeAdapter(exchange: 'okx', options?: ExchangeAdapterOptions): OkxAdapter;
export function createExchangeAdapter(exchange: 'bybit', options?: ExchangeAdapterOptions): BybitAdapter;
export function createExchangeAdapter(exchange: string, options?: ExchangeAdapterOptions): ExchangeAdapter;
/** The adapter of `EXCHANGE`; throws `ConfigError` for an exchange the collector does not know. */
export function createExchangeAdapter(exchange: string, options: ExchangeAdapterOptions = {}): ExchangeAdapter {
  const rest = { baseUrl: options.restUrl, metrics: options.metrics, logger: options.logger, fetch: options.fetch };
  const stream = { maxFrameBytes: options.maxFrameBytes };
  const clientPing = { ...stream, ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}) };
  switch (exchange) {
    case 'binance':
      return createBinanceAdapter({ rest, stream, ...(options.restWeightLimitPerMinute !== undefined ? { weight: { limitPerMinute: options.restWeightLimitPerMinute } } : {}) });
    case 'okx':
      return createOkxAdapter({ rest, stream: clientPing });
    case 'bybit':
      return createBybitAdapter({ rest, stream: clientPing });
    default:
      throw new ConfigError(`EXCHANGE must be one of ${EXCHANGE_IDS.join(', ')}, got ${JSON.stringify(exchange)}`);
  }
}
