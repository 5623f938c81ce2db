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
});
