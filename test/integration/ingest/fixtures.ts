import type { RateRow, RatesBatch, StatusSnapshot } from '../../../services/shared/history';

/** A rates message body as the collector sends it. */
export function ratesBody(rows: RateRow[], overrides: Partial<RatesBatch> = {}): string {
  const batch: RatesBatch = { v: 1, kind: 'rates', exchange: 'binance', collectorId: 'c1', intervalMs: 1000, rows, ...overrides };
  return JSON.stringify(batch);
}

export function row(time: number, symbol: string, price: string, evaluatedAt: number, change1m: number | null = 0.5): RateRow {
  return [time, symbol, price, change1m, null, -1.25, [], evaluatedAt];
}

export function statusBody(at: number, connections: StatusSnapshot['connections'], collectorId = 'c1'): string {
  const snapshot: StatusSnapshot = { v: 1, kind: 'status', exchange: 'binance', collectorId, at, connections };
  return JSON.stringify(snapshot);
}
