import { decodeFlags, type RateFlag } from '../../shared/rates/flags';
import type { StreamRate } from '../client/rate-book';

/**
 * What the dashboard shows, computed without the DOM so it is tested in Node:
 * formatting, colour class by sign, filtering and sorting of the grid, and the
 * latency window.
 */
export type SortColumn = 'symbol' | 'price' | 'change_1m' | 'change_5m' | 'change_15m' | 'age';
export interface SortOrder {
  column: SortColumn;
  descending: boolean;
}

export function formatChange(text: string | undefined): string {
  if (text === undefined || text === '') return '–';
  const value = Number(text);
  if (!Number.isFinite(value)) return '–';
  return `${value > 0 ? '+' : ''}${value.toFixed(2)} %`;
}

export function signClass(text: string | undefined): 'up' | 'down' | 'flat' {
  const value = text === undefined || text === '' ? 0 : Number(text);
  if (!Number.isFinite(value) || value === 0) return 'flat';
  return value > 0 ? 'up' : 'down';
}

/** The badges of a rate: the contract's decoder, so the page shows exactly the flags the API would. */
export function flagList(flags: string): RateFlag[] {
  return decodeFlags(flags);
}

/** "5 s", "3 min", "2 h": how long ago `ts` (epoch ms) was. */
export function formatAge(ts: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - ts) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h`;
}

const numeric = (text: string | undefined): number => {
  const value = text === undefined || text === '' ? Number.NaN : Number(text);
  return Number.isFinite(value) ? value : Number.NaN;
};

/** Unknown values sort last whatever the direction, so the grid's top is always real data. */
function compareNumbers(a: number, b: number, descending: boolean): number {
  const aUnknown = Number.isNaN(a);
  const bUnknown = Number.isNaN(b);
  if (aUnknown || bUnknown) return aUnknown === bUnknown ? 0 : aUnknown ? 1 : -1;
  return descending ? b - a : a - b;
}

export function visibleRates(rates: Iterable<StreamRate>, filter: string, order: SortOrder): StreamRate[] {
  const needle = filter.trim().toUpperCase();
  const rows = [...rates].filter((rate) => needle === '' || rate.symbol.includes(needle));
  rows.sort((a, b) => {
    let result: number;
    switch (order.column) {
      case 'symbol':
        result = a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0;
        if (order.descending) result = -result;
        break;
      case 'price':
        result = compareNumbers(numeric(a.price), numeric(b.price), order.descending);
        break;
      case 'age':
        result = compareNumbers(numeric(a.ts), numeric(b.ts), !order.descending);
        break;
      default:
        result = compareNumbers(numeric(a[order.column]), numeric(b[order.column]), order.descending);
    }
    return result !== 0 ? result : a.symbol < b.symbol ? -1 : 1;
  });
  return rows;
}

/** The last `capacity` latency samples (ms) and their percentiles. */
export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly capacity = 1_000) {}

  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
  }

  get count(): number {
    return this.samples.length;
  }

  percentile(p: number): number | undefined {
    if (this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  }
}

/** The slice of rows a virtual list of fixed row height must render, with some overscan. */
export function visibleWindow(scrollTop: number, viewportHeight: number, rowHeight: number, rowCount: number, overscan = 8): { first: number; last: number } {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(rowCount, Math.ceil((scrollTop + viewportHeight) / rowHeight) + overscan);
  return { first, last };
}
