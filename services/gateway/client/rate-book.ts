/**
 * The latest rate of every symbol a client holds, newest `ts` wins: the gateway
 * never sends a value older than one it sent, but a reconnect's snapshot can
 * cross an update already applied, and two gateway tasks behind a load
 * balancer are not in step. Pure, so it runs in the browser and in tests.
 */
export interface StreamRate {
  symbol: string;
  price: string;
  ts: string;
  tradeTs: string;
  change_1m?: string;
  change_5m?: string;
  change_15m?: string;
  flags: string;
}

export class RateBook {
  private readonly rates = new Map<string, StreamRate>();

  /** Applies rates; returns those that changed what the book holds (newer `ts`). */
  apply(rates: readonly StreamRate[]): StreamRate[] {
    const changed: StreamRate[] = [];
    for (const rate of rates) {
      const held = this.rates.get(rate.symbol);
      if (held && Number(held.ts) >= Number(rate.ts)) continue;
      this.rates.set(rate.symbol, rate);
      changed.push(rate);
    }
    return changed;
  }

  get(symbol: string): StreamRate | undefined {
    return this.rates.get(symbol);
  }

  get size(): number {
    return this.rates.size;
  }

  values(): IterableIterator<StreamRate> {
    return this.rates.values();
  }

  /** Symbols the client no longer follows leave the book. */
  retain(symbols: ReadonlySet<string> | '*'): void {
    if (symbols === '*') return;
    for (const symbol of this.rates.keys()) if (!symbols.has(symbol)) this.rates.delete(symbol);
  }
}
