import { errorMessage, LogThrottle, type Logger } from '../../shared';
import type { Kline } from '../domain';
import type { CollectorMetrics } from '../metrics';

export interface WarmStartOptions {
  fetchKlines: (symbol: string, startTime: number, limit: number) => Promise<Kline[]>;
  seed: (symbol: string, klines: Kline[], now: number) => void;
  now: () => number;
  /** Requests in flight at once: 2000 symbols at weight 2 must not flood the REST budget. Default 4. */
  concurrency?: number;
  /** Attempts per symbol before giving up (values then appear as live trades cover the windows). Default 3. */
  maxAttempts?: number;
  retryDelayMs?: number;
  metrics?: CollectorMetrics;
  logger?: Logger;
}

/** 16 minutes of 1m candles cover the 15m window plus the minute in progress. */
const WARM_START_MINUTES = 16;

/**
 * Fetches recent 1m candles for newly collected symbols so change rates are known
 * at once instead of after 15 minutes. The queue is a set of symbols (bounded by
 * the symbol count, one entry each) drained with bounded concurrency through the
 * shared REST weight budget.
 */
export class WarmStart {
  private readonly queue = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private active = 0;
  private closed = false;
  private completed = 0;
  private failed = 0;
  private readonly throttle = new LogThrottle();

  constructor(private readonly options: WarmStartOptions) {}

  enqueue(symbols: Iterable<string>): void {
    for (const symbol of symbols) this.queue.add(symbol);
    this.pump();
  }

  forget(symbol: string): void {
    this.queue.delete(symbol);
    this.attempts.delete(symbol);
  }

  stats(): { queued: number; active: number; completed: number; failed: number } {
    return { queued: this.queue.size, active: this.active, completed: this.completed, failed: this.failed };
  }

  close(): void {
    this.closed = true;
    this.queue.clear();
  }

  private pump(): void {
    const concurrency = this.options.concurrency ?? 4;
    while (!this.closed && this.active < concurrency && this.queue.size > 0) {
      const symbol = this.queue.values().next().value as string;
      this.queue.delete(symbol);
      this.active += 1;
      void this.load(symbol).finally(() => {
        this.active -= 1;
        this.pump();
      });
    }
  }

  private async load(symbol: string): Promise<void> {
    const now = this.options.now();
    const startTime = Math.floor(now / 60_000) * 60_000 - WARM_START_MINUTES * 60_000;
    try {
      const klines = await this.options.fetchKlines(symbol, startTime, WARM_START_MINUTES + 1);
      if (this.closed) return;
      this.options.seed(symbol, klines, this.options.now());
      this.attempts.delete(symbol);
      this.completed += 1;
    } catch (error) {
      const attempt = (this.attempts.get(symbol) ?? 0) + 1;
      this.options.metrics?.errors.inc({ component: 'warm_start', code: (error as { code?: string }).code ?? 'KLINES_FAILED' });
      const admitted = this.throttle.admit('klines');
      if (admitted) this.options.logger?.warn('warm-start candles failed; retrying, rates appear with live trades meanwhile', { symbol, attempt, error: errorMessage(error), suppressedSinceLastLog: admitted.suppressed });
      if (attempt >= (this.options.maxAttempts ?? 3) || this.closed) {
        this.attempts.delete(symbol);
        this.failed += 1;
        return;
      }
      this.attempts.set(symbol, attempt);
      const timer = setTimeout(() => this.enqueue([symbol]), (this.options.retryDelayMs ?? 5000) * attempt);
      timer.unref();
    }
  }
}
