/**
 * The exchanges the collector can run (one per process, `EXCHANGE`), and how
 * their ECS services, spill directories and metrics are named. Pure: no CDK
 * constructs, so config parsing, the collector construct, the monitoring and the
 * tests all read the same names.
 *
 * Binance keeps the names it had before other exchanges existed (service
 * `collector-shard-<i>`, construct `Shard<i>`, spill `/collector-shard-<i>`):
 * CloudFormation replaces an ECS service whose name changes (and refuses to for
 * an explicitly named one), and a new access point path would strand the spill
 * a running task still has to drain.
 */
export type ExchangeId = 'binance' | 'okx' | 'bybit';

/** Every exchange, in the order services, alarms and dashboard rows are built. */
export const EXCHANGE_IDS: readonly ExchangeId[] = ['binance', 'okx', 'bybit'];

export function isExchangeId(value: string): value is ExchangeId {
  return (EXCHANGE_IDS as readonly string[]).includes(value);
}

export interface ExchangeEndpoints {
  wsUrl: string;
  restUrl: string;
}

/** The collector's endpoint variables per exchange (DESIGN.md "Exchanges (contract)"). */
export const EXCHANGE_ENDPOINT_VARIABLES: Record<ExchangeId, { ws: string; rest: string }> = {
  binance: { ws: 'BINANCE_WS_URL', rest: 'BINANCE_REST_URL' },
  okx: { ws: 'OKX_WS_URL', rest: 'OKX_REST_URL' },
  bybit: { ws: 'BYBIT_WS_URL', rest: 'BYBIT_REST_URL' },
};

/** The public spot endpoints, the collector's own defaults. */
export const DEFAULT_EXCHANGE_ENDPOINTS: Record<ExchangeId, ExchangeEndpoints> = {
  binance: { wsUrl: 'wss://stream.binance.com:9443', restUrl: 'https://api.binance.com' },
  okx: { wsUrl: 'wss://ws.okx.com:8443/ws/v5/public', restUrl: 'https://www.okx.com' },
  bybit: { wsUrl: 'wss://stream.bybit.com/v5/public/spot', restUrl: 'https://api.bybit.com' },
};

/** How operators read the exchange in dashboard titles and alarm texts. */
export const EXCHANGE_DISPLAY_NAMES: Record<ExchangeId, string> = { binance: 'Binance', okx: 'OKX', bybit: 'Bybit' };

/**
 * Whether the exchange's REST API can return the trades of a gap. Bybit's
 * `recent-trade` returns only the latest 60 spot trades and cannot page by id
 * (docs/exchanges.md), so a missed trade there is lost for good.
 */
export const EXCHANGE_CAN_BACKFILL_TRADES: Record<ExchangeId, boolean> = { binance: true, okx: true, bybit: false };

const LEGACY: ExchangeId = 'binance';

/** ECS service name, also the `ServiceName` dimension of the collector's metrics. */
export function collectorServiceName(exchange: ExchangeId, shard: number): string {
  return exchange === LEGACY ? `collector-shard-${shard}` : `collector-${exchange}-shard-${shard}`;
}

/** Construct id of a shard's service; task definition and access point ids derive from it. */
export function collectorShardId(exchange: ExchangeId, shard: number): string {
  return exchange === LEGACY ? `Shard${shard}` : `${pascal(exchange)}Shard${shard}`;
}

/** Root of the shard's EFS access point: the service name, so each service drains only its own spill. */
export function collectorSpillPath(exchange: ExchangeId, shard: number): string {
  return `/${collectorServiceName(exchange, shard)}`;
}

/** CloudWatch Logs stream prefix of a shard's containers (`collector-0`, `collector-okx-0`). */
export function collectorLogPrefix(container: 'collector' | 'adot', exchange: ExchangeId, shard: number): string {
  return exchange === LEGACY ? `${container}-${shard}` : `${container}-${exchange}-${shard}`;
}

export function pascal(exchange: ExchangeId): string {
  return exchange.charAt(0).toUpperCase() + exchange.slice(1);
}
