import { PriceHistory } from '../../../../services/collector/rates';

describe('PriceHistory', () => {
  it('keeps one entry per millisecond, the last trade winning', () => {
    // Prepare
    const history = new PriceHistory(4);

    // Act
    history.append(10, 1);
    history.append(10, 2);
    history.append(11, 3);

    // Assert
    expect(history.length).toBe(2);
    expect(history.priceAt(history.positionAtOrBefore(10))).toBe(2);
  });

  it('finds the newest entry at or before a time across the ring wrap', () => {
    // Prepare: capacity 4, wrapped by pruning and appending.
    const history = new PriceHistory(4);
    for (const t of [1, 2, 3, 4]) history.append(t * 10, t);
    history.prune(30);
    history.append(50, 5);
    history.append(60, 6);

    // Act / Assert
    expect(history.positionAtOrBefore(29)).toBe(-1);
    expect(history.priceAt(history.positionAtOrBefore(30))).toBe(3);
    expect(history.priceAt(history.positionAtOrBefore(55))).toBe(5);
    expect(history.priceAt(history.positionAtOrBefore(1e9))).toBe(6);
  });

  it('stays bounded by the milliseconds of the window for a symbol trading several times every millisecond', () => {
    // Prepare
    const history = new PriceHistory();
    const windowMs = 15 * 60_000;

    // Act: 20 minutes, three trades every millisecond, pruned once a second as the timer does.
    let peak = 0;
    for (let t = 0; t < 20 * 60_000; t++) {
      for (let k = 0; k < 3; k++) history.append(t, t + k);
      if (t % 1000 === 0) {
        history.prune(t - windowMs);
        peak = Math.max(peak, history.length);
      }
    }

    // Assert: at most one entry per millisecond of the window, plus the one reference before it.
    expect(peak).toBeLessThanOrEqual(windowMs + 1001);
    expect(history.firstTime).toBeGreaterThanOrEqual(20 * 60_000 - 1 - windowMs - 1000);
  });

  it('prepends older entries for warm start and refuses ones that are not older', () => {
    // Prepare
    const history = new PriceHistory(2);
    history.append(100, 1);

    // Act
    const older = history.prepend(50, 0.5);
    const notOlder = history.prepend(100, 9);

    // Assert
    expect(older).toBe(true);
    expect(notOlder).toBe(false);
    expect(history.isSeededAt(0)).toBe(true);
    expect(history.isSeededAt(1)).toBe(false);
  });

  it('lets a trade at or before the newest candle stand-ins replace them instead of taking their slot', () => {
    // Prepare: two candle closes, the newer at 59.
    const history = new PriceHistory(4);
    history.append(59, 95, true);
    history.prepend(29, 90, true);

    // Act: a trade at 50 (older than the newest candle) arrives after the candles.
    history.append(50, 100);

    // Assert: the candle at 59 is gone, the trade is an entry of its own at 50, unmarked.
    expect(history.length).toBe(2);
    expect(history.lastTime).toBe(50);
    expect(history.isSeededAt(1)).toBe(false);
    expect(history.priceAt(history.positionAtOrBefore(59))).toBe(100);
    expect(history.isSeededAt(history.positionAtOrBefore(40))).toBe(true);
  });

  it('keeps the anomaly mark of the last trade of each millisecond, and says when it pruned', () => {
    // Prepare
    const history = new PriceHistory(4);

    // Act
    history.append(10, 1, false, true);
    history.append(10, 2, false, false);
    history.append(20, 3, false, true);
    const prunedBefore = history.pruned;
    history.prune(20);

    // Assert
    expect(prunedBefore).toBe(false);
    expect(history.pruned).toBe(true);
    expect(history.firstTime).toBe(20);
    expect(history.isAnomalyAt(0)).toBe(true);
  });
});
