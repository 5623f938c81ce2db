import { HISTOGRAM_CAP_MS, mergeHistograms, MsHistogram } from '../../../../bench/support/gateway-load';

describe('MsHistogram', () => {
  it('gives the smallest value with the quantile of the samples at or below it', () => {
    // Prepare
    const histogram = new MsHistogram();
    for (let ms = 1; ms <= 100; ms++) histogram.record(ms);

    // Act
    const p50 = histogram.quantile(0.5);
    const p99 = histogram.quantile(0.99);

    // Assert
    expect(p50).toBe(50);
    expect(p99).toBe(99);
    expect(histogram.max()).toBe(100);
    expect(histogram.count).toBe(100);
  });

  it('rounds to whole ms, counts negative values as 0 and caps large ones', () => {
    // Prepare
    const histogram = new MsHistogram();

    // Act
    histogram.record(-3);
    histogram.record(2.4);
    histogram.record(10 * HISTOGRAM_CAP_MS);

    // Assert
    expect(histogram.toJSON()).toEqual({ 0: 1, 2: 1, [HISTOGRAM_CAP_MS]: 1 });
  });

  it('merges the counts of several processes as if they were one', () => {
    // Prepare
    const a = new MsHistogram();
    const b = new MsHistogram();
    [1, 1, 5].forEach((ms) => a.record(ms));
    [5, 9].forEach((ms) => b.record(ms));

    // Act
    const merged = mergeHistograms([JSON.parse(JSON.stringify(a)), b.toJSON()]);

    // Assert
    expect(merged.count).toBe(5);
    expect(merged.quantile(0.5)).toBe(5);
    expect(merged.quantile(1)).toBe(9);
  });

  it('answers NaN without samples, and is empty again after reset', () => {
    // Prepare
    const histogram = new MsHistogram();
    histogram.record(4);

    // Act
    histogram.reset();

    // Assert
    expect(histogram.quantile(0.5)).toBeNaN();
    expect(histogram.max()).toBeNaN();
    expect(histogram.count).toBe(0);
  });
});
