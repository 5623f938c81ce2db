import type { RestAggTrade } from '../shared/binance';
import { toRestAggTrade } from './history';
import { type SimulatorOptions, resolveOptions } from './options';
import type { ExchangeId } from './exchanges';
import { SimulatorServer, type SimulatorStats } from './server';

export { EXCHANGE_IDS } from './exchanges';
export type { ExchangeId } from './exchanges';

export type { SimulatorOptions } from './options';
export type { SimulatorStats, ConnectionStats } from './server';
export { SimulatorConfigError, ReplayFormatError, ExchangeInfoFormatError, FaultRequestError } from './errors';

/** Read access to the simulated market, for tests that check what clients received. */
export interface SimulatorMarket {
  /** Symbols in exchangeInfo order. */
  readonly symbols: string[];
  /** The latest aggregate trade of `symbol`, as a REST row. */
  lastTrade(symbol: string): RestAggTrade | undefined;
  /** Every aggregate trade of `symbol` still in history, oldest first. */
  aggTrades(symbol: string): RestAggTrade[];
}

export interface SimulatorHandle {
  exchange: ExchangeId;
  port: number;
  /**
   * `ws://host:port`; append the exchange's path: Binance `/ws/<stream>` or
   * `/stream?streams=...`, OKX `/ws/v5/public`, Bybit `/v5/public/spot`.
   */
  wsUrl: string;
  /** `http://host:port`; REST under `/api/v3` (Binance), `/api/v5` (OKX), `/v5/market` (Bybit); faults under `/_sim`. */
  restUrl: string;
  stats(): SimulatorStats;
  stop(): Promise<void>;
  market: SimulatorMarket;
}

/** Starts a spot simulator of `options.exchange` (Binance by default) serving WebSocket streams and REST on one port. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const config = resolveOptions(options);
  const server = new SimulatorServer(config);
  const port = await server.start();
  const hostPart = config.host.includes(':') ? `[${config.host}]` : config.host;
  const market: SimulatorMarket = {
    get symbols() {
      return server.market.states.map((s) => s.spec.symbol);
    },
    lastTrade(symbol) {
      const trade = server.market.get(symbol)?.lastTrade;
      return trade && toRestAggTrade(trade);
    },
    aggTrades(symbol) {
      const state = server.market.get(symbol);
      if (!state) return [];
      const rows: RestAggTrade[] = [];
      for (let i = 0; i < state.trades.size; i++) rows.push(toRestAggTrade(state.trades.at(i)));
      return rows;
    },
  };
  return {
    exchange: config.exchange,
    port,
    wsUrl: `ws://${hostPart}:${port}`,
    restUrl: `http://${hostPart}:${port}`,
    stats: () => server.stats(),
    stop: () => server.stop(),
    market,
  };
}
