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
  /**
   * The exchange's trade id as a number: consecutive per symbol on Binance (a jump
   * is a gap), increasing on OKX. 0 where the protocol's `tradeIds` is `opaque`
   * (Bybit spot, whose 19-digit ids do not fit a safe integer): `tradeIdText`
   * carries the id.
   */
  tradeId: number;
  /** The exchange's id verbatim where it is a string (OKX, Bybit); absent for Binance. */
  tradeIdText?: string;
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
  /** Trades in the candle; absent where the exchange does not report it (OKX and Bybit candles). */
  tradeCount?: number;
  /** Last aggTrade id in the candle when the exchange reports it (Binance klines do not). */
  lastTradeId?: number;
}

export interface SymbolInfo {
  /** The project's form, upper-case base + quote (`BTCUSDT`). */
  symbol: string;
  /** The exchange's own name of the pair (`BTC-USDT` on OKX, `BTCUSDT` on Binance and Bybit). */
  nativeSymbol: string;
  baseAsset: string;
  quoteAsset: string;
  /** The exchange's status word (`TRADING`, OKX `live`, Bybit `Trading`); use `tradable` to decide. */
  status: string;
  /** True when the pair trades now, whatever the exchange calls that state. */
  tradable: boolean;
}
