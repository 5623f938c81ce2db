/**
 * What the collector benchmark needs to know per exchange: which exchanges to run
 * (BENCH_EXCHANGES), the collector's endpoint variables, and the streams a bare
 * client subscribes to, read from the simulator's own listing endpoint.
 */
export const BENCH_EXCHANGE_IDS = ['binance', 'okx', 'bybit'] as const;
export type BenchExchange = (typeof BENCH_EXCHANGE_IDS)[number];

export class BenchConfigError extends Error {
  readonly code = 'BENCH_CONFIG';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchConfigError';
  }
}

/** `binance,okx,bybit` by default; an unknown name stops the run before any process starts. */
export function parseBenchExchanges(value: string | undefined): BenchExchange[] {
  const names = (value ?? BENCH_EXCHANGE_IDS.join(',')).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const unknown = names.filter((name) => !(BENCH_EXCHANGE_IDS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new BenchConfigError(`BENCH_EXCHANGES must list some of ${BENCH_EXCHANGE_IDS.join(', ')} (comma-separated), got "${value ?? ''}"`);
  }
  return [...new Set(names)] as BenchExchange[];
}

/** The collector's environment for one exchange against a simulator (a bare host works for all three). */
export function collectorEndpointEnv(exchange: BenchExchange, wsUrl: string, restUrl: string): Record<string, string> {
  const prefix = exchange.toUpperCase();
  return { EXCHANGE: exchange, [`${prefix}_WS_URL`]: wsUrl, [`${prefix}_REST_URL`]: restUrl };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new BenchConfigError(`simulator answered ${response.status} to ${url}; is it serving the exchange the bench asked for?`);
  return (await response.json()) as T;
}

/**
 * The trade streams of every tradable symbol, named as the bare client subscribes
 * to them: Binance `btcusdt@aggTrade`, OKX instIds `BTC-USDT`, Bybit `publicTrade.BTCUSDT`.
 */
export async function listTradeStreams(exchange: BenchExchange, restUrl: string): Promise<string[]> {
  switch (exchange) {
    case 'binance': {
      const info = await getJson<{ symbols: Array<{ symbol: string; status: string }> }>(`${restUrl}/api/v3/exchangeInfo`);
      return info.symbols.filter((s) => s.status === 'TRADING').map((s) => `${s.symbol.toLowerCase()}@aggTrade`);
    }
    case 'okx': {
      const body = await getJson<{ data: Array<{ instId: string; state: string }> }>(`${restUrl}/api/v5/public/instruments?instType=SPOT`);
      return body.data.filter((row) => row.state === 'live').map((row) => row.instId);
    }
    case 'bybit': {
      const topics: string[] = [];
      let cursor = '';
      // Paged by cursor; bounded so a simulator that kept answering a cursor cannot hold the bench.
      for (let page = 0; page < 100; page++) {
        const body = await getJson<{ result: { list: Array<{ symbol: string; status: string }>; nextPageCursor: string } }>(
          `${restUrl}/v5/market/instruments-info?category=spot&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        topics.push(...body.result.list.filter((row) => row.status === 'Trading').map((row) => `publicTrade.${row.symbol}`));
        cursor = body.result.nextPageCursor;
        if (!cursor) return topics;
      }
      throw new BenchConfigError('Bybit instruments-info kept returning a next page after 100 pages; the simulator listing is broken');
    }
  }
}
