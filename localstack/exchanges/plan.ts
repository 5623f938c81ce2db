import { EXCHANGE_IDS, type ExchangeId } from '../../services/collector/exchange/create-adapter';

/** What `npm start` runs for one exchange: its simulator (unless the feed is live) and its collector. */
export interface LocalExchange {
  exchange: ExchangeId;
  /** The simulator's port; undefined on the live feed. */
  simulatorPort?: number;
  /** A REST path the simulator (or the exchange) answers once it is up. */
  readyPath: string;
  collectorPort: number;
  collectorId: string;
  /** The collector's endpoint variables (BINANCE_*, OKX_* or BYBIT_*_URL). */
  endpoints: Record<string, string>;
  /** SYMBOLS for the collector. */
  symbols: string;
}

export type LocalFeed = 'simulator' | 'live';

export class LocalPlanError extends Error {
  readonly code = 'LOCAL_PLAN_INVALID';
}

const LIVE_ENDPOINTS: Record<ExchangeId, { ws: string; rest: string }> = {
  binance: { ws: 'wss://stream.binance.com:9443', rest: 'https://api.binance.com' },
  okx: { ws: 'wss://ws.okx.com:8443/ws/v5/public', rest: 'https://www.okx.com' },
  bybit: { ws: 'wss://stream.bybit.com/v5/public/spot', rest: 'https://api.bybit.com' },
};

const READY_PATHS: Record<ExchangeId, string> = {
  binance: '/api/v3/ping',
  okx: '/api/v5/public/time',
  bybit: '/v5/market/time',
};

/** A modest set on the live exchanges, named the same on all three. */
const LIVE_DEFAULT_SYMBOLS = 'BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT,DOGEUSDT,ADAUSDT,TRXUSDT,LTCUSDT';

const VARIABLE_PREFIX: Record<ExchangeId, string> = { binance: 'BINANCE', okx: 'OKX', bybit: 'BYBIT' };

/**
 * FEED: `simulator` (default) or `live`; `binance`, the older spelling, means live.
 * Throws naming the variable for anything else.
 */
export function parseFeed(value: string | undefined): LocalFeed {
  const feed = (value ?? 'simulator').trim().toLowerCase();
  if (feed === 'simulator') return 'simulator';
  if (feed === 'live' || feed === 'binance') return 'live';
  throw new LocalPlanError(`FEED must be 'simulator' (default) or 'live' ('binance' is accepted for live), got '${value}'`);
}

/** EXCHANGES: a comma list of binance, okx, bybit; all three by default. */
export function parseExchanges(value: string | undefined): ExchangeId[] {
  if (value === undefined || value.trim() === '') return [...EXCHANGE_IDS];
  const listed = value.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  const unknown = listed.filter((e) => !(EXCHANGE_IDS as readonly string[]).includes(e));
  if (unknown.length > 0 || listed.length === 0) throw new LocalPlanError(`EXCHANGES must be a comma list of ${EXCHANGE_IDS.join(', ')}, got '${value}'${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  // The fixed order keeps each exchange's ports the same whichever subset runs.
  return EXCHANGE_IDS.filter((e) => listed.includes(e));
}

/**
 * Ports are fixed per exchange, not per position, so `EXCHANGES=okx` still puts
 * OKX on the port a browser bookmark or a client config names: simulators from
 * SIMULATOR_PORT (9443: binance, 9444: okx, 9445: bybit), collectors from
 * HTTP_PORT (8080, 8081, 8082). Binance keeps collector id `local`, so its spill
 * directory from earlier single-exchange runs is still adopted.
 */
export function planLocalExchanges(env: NodeJS.ProcessEnv): { feed: LocalFeed; exchanges: LocalExchange[] } {
  const feed = parseFeed(env.FEED);
  const exchanges = parseExchanges(env.EXCHANGES);
  const simulatorBase = port('SIMULATOR_PORT', env.SIMULATOR_PORT, 9443);
  const collectorBase = port('HTTP_PORT', env.HTTP_PORT, 8080);
  const baseId = env.COLLECTOR_ID ?? 'local';
  return {
    feed,
    exchanges: exchanges.map((exchange) => {
      const offset = EXCHANGE_IDS.indexOf(exchange);
      const prefix = VARIABLE_PREFIX[exchange];
      const simulatorPort = feed === 'simulator' ? simulatorBase + offset : undefined;
      const ws = simulatorPort !== undefined ? `ws://127.0.0.1:${simulatorPort}` : (env[`${prefix}_WS_URL`] ?? LIVE_ENDPOINTS[exchange].ws);
      const rest = simulatorPort !== undefined ? `http://127.0.0.1:${simulatorPort}` : (env[`${prefix}_REST_URL`] ?? LIVE_ENDPOINTS[exchange].rest);
      return {
        exchange,
        ...(simulatorPort !== undefined ? { simulatorPort } : {}),
        readyPath: READY_PATHS[exchange],
        collectorPort: collectorBase + offset,
        collectorId: exchange === 'binance' ? baseId : `${baseId}-${exchange}`,
        endpoints: { [`${prefix}_WS_URL`]: ws, [`${prefix}_REST_URL`]: rest },
        symbols: env.SYMBOLS ?? (feed === 'live' ? LIVE_DEFAULT_SYMBOLS : 'ALL'),
      };
    }),
  };
}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65_533) throw new LocalPlanError(`${name} must be a port from 1 to 65533 (the next two ports are used too), got '${value}'`);
  return parsed;
}
