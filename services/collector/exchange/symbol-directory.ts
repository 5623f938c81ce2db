import { CollectorError } from '../../shared';
import type { SymbolInfo } from '../domain';

export type SymbolDirectoryErrorCode =
  /** Asked before `load`: the collector must list the exchange's symbols before it plans streams. */
  | 'SYMBOL_DIRECTORY_NOT_LOADED'
  /** The exchange does not list the pair (a typo in SYMBOLS, or a delisted pair). */
  | 'SYMBOL_NOT_LISTED';

export class SymbolDirectoryError extends CollectorError {
  constructor(
    code: SymbolDirectoryErrorCode,
    readonly exchange: string,
    readonly symbol: string,
  ) {
    super(
      code,
      code === 'SYMBOL_DIRECTORY_NOT_LOADED'
        ? `${exchange}: no symbol list loaded yet, so ${symbol} has no native name; list the exchange's symbols (rest.listSymbols()) before subscribing.`
        : `${exchange} does not list ${symbol}; check SYMBOLS or the collection config.`,
    );
  }
}

/**
 * The exchange's names of the project's pairs (`BTCUSDT` <-> OKX `BTC-USDT`), filled
 * from `listSymbols()`. Pure: no I/O; whoever lists symbols loads it, and the stream
 * protocol reads it. A guess from the symbol's shape (where does the base end?) is
 * never made: `BTCUSDT` could not be split without the listing.
 */
export class SymbolDirectory {
  private nativeBySymbol = new Map<string, string>();
  private symbolByNative = new Map<string, string>();
  private isLoaded = false;

  constructor(readonly exchange: string) {}

  get loaded(): boolean {
    return this.isLoaded;
  }

  get size(): number {
    return this.nativeBySymbol.size;
  }

  /**
   * Replaces the whole mapping (a fresh listing is authoritative). When two native
   * names give the same symbol, the tradable one wins, so a suspended twin does not
   * take a live pair's stream.
   */
  load(symbols: readonly SymbolInfo[]): void {
    const nativeBySymbol = new Map<string, string>();
    const tradableBySymbol = new Map<string, boolean>();
    const symbolByNative = new Map<string, string>();
    for (const info of symbols) {
      symbolByNative.set(info.nativeSymbol, info.symbol);
      const known = tradableBySymbol.get(info.symbol);
      if (known === true || (known === false && !info.tradable)) continue;
      nativeBySymbol.set(info.symbol, info.nativeSymbol);
      tradableBySymbol.set(info.symbol, info.tradable);
    }
    this.nativeBySymbol = nativeBySymbol;
    this.symbolByNative = symbolByNative;
    this.isLoaded = true;
  }

  /** The native name; throws `SymbolDirectoryError` before `load` or for a pair the exchange does not list. */
  nativeOf(symbol: string): string {
    if (!this.isLoaded) throw new SymbolDirectoryError('SYMBOL_DIRECTORY_NOT_LOADED', this.exchange, symbol);
    const native = this.nativeBySymbol.get(symbol);
    if (native === undefined) throw new SymbolDirectoryError('SYMBOL_NOT_LISTED', this.exchange, symbol);
    return native;
  }

  /** Whether `nativeOf` would answer (loaded and listed). */
  has(symbol: string): boolean {
    return this.nativeBySymbol.has(symbol);
  }

  /** The project's symbol of a native name, or undefined when the listing does not hold it. */
  symbolOf(nativeSymbol: string): string | undefined {
    return this.symbolByNative.get(nativeSymbol);
  }
}
