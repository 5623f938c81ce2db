import type { SymbolDirectory } from './symbol-directory';
import type { ExchangeRestClient, ExchangeStreamProtocol } from './types';

/** Everything the collector needs from one exchange: its stream protocol and its REST side. */
export interface ExchangeAdapter {
  readonly exchange: string;
  readonly protocol: ExchangeStreamProtocol;
  readonly rest: ExchangeRestClient;
  /**
   * Where the exchange names pairs its own way (OKX `BTC-USDT`, Bybit): the map
   * `rest.listSymbols()` fills and the protocol reads. Absent on Binance, whose
   * stream names follow from the symbol.
   */
  readonly directory?: SymbolDirectory;
  /** The REST rate limiters' state, for `/status` (Binance: one weight budget; OKX, Bybit: a window per endpoint or IP). */
  restLimits(): Record<string, unknown>;
  /** Releases the limiters' timers and refuses requests still waiting (collector shutdown). */
  close(): void;
}
