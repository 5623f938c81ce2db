/**
 * A trade normalized from any exchange. Times are epoch milliseconds UTC; a feed
 * in microseconds is converted at parse time so nothing downstream cares.
 */
export interface Trade {
  /** Lower-case exchange id, e.g. `binance` (the `{exchange}` of Redis keys and tables). */
  exchange: string;
  /** Upper-case symbol, e.g. `BTCUSDT`. */
  symbol: string;
  /** The exchange's exact decimal string; stored and published as is. */
  priceText: string;
  /** `priceText` as a number, for rate arithmetic only. */
  price: number;
  quantityText: string;
  /** Aggregate trade id, consecutive per symbol on Binance: a jump is a gap. */
  tradeId: number;
  tradeTime: number;
  /** Event time `E` of the message; for backfilled trades, the trade time. */
  eventTime: number;
  /** Local wall-clock receipt time; for backfilled trades, when the REST answer arrived. */
  receivedAt: number;
  /** Local monotonic receipt time (performance.now()), for latency measurement. */
  receivedAtMono: number;
  /** `live` from the stream, `backfill` fetched over REST to close a gap. */
  source: 'live' | 'backfill';
}

/** One 1m candle, used to warm up reference prices at start. */
export interface Kline {
  openTime: number;
  closeTime: number;
  openText: string;
  closeText: string;
  close: number;
  tradeCount: number;
  /** Last aggTrade id in the candle when the exchange reports it (Binance klines do not). */
  lastTradeId?: number;
}

export interface SymbolInfo {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  status: string;
}
