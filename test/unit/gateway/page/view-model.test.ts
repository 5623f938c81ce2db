import type { StreamRate } from '../../../../services/gateway/client';
import { flagList, formatAge, formatChange, LatencyWindow, signClass, visibleRates, visibleWindow } from '../../../../services/gateway/page/view-model';

const rate = (symbol: string, change1m?: string, price = '1', ts = '1000'): StreamRate => ({ symbol, price, ts, tradeTs: ts, flags: '', ...(change1m === undefined ? {} : { change_1m: change1m }) });

describe('dashboard view model', () => {
  it('formats changes with sign and two decimals, unknown as a dash', () => {
    // Act
    const texts = [formatChange('1.23456'), formatChange('-0.5'), formatChange('0'), formatChange(undefined), formatChange('x')];

    // Assert
    expect(texts).toEqual(['+1.23 %', '-0.50 %', '0.00 %', '–', '–']);
  });

  it('colours by sign', () => {
    // Act
    const classes = [signClass('0.1'), signClass('-2'), signClass('0'), signClass(undefined)];

    // Assert
    expect(classes).toEqual(['up', 'down', 'flat', 'flat']);
  });

  it('splits flags and formats ages', () => {
    // Act
    const flags = [flagList(''), flagList('stale,gap')];
    const ages = [formatAge(0, 4_400), formatAge(0, 125_000), formatAge(0, 7_300_000)];

    // Assert
    expect(flags).toEqual([[], ['stale', 'gap']]);
    expect(ages).toEqual(['4 s', '2 min', '2 h']);
  });

  it('filters case-insensitively and sorts by change with unknown values last in both directions', () => {
    // Prepare
    const rates = [rate('BTCUSDT', '1'), rate('ETHUSDT'), rate('ETHBTC', '-3'), rate('SOLUSDT', '2')];

    // Act
    const descending = visibleRates(rates, '', { column: 'change_1m', descending: true }).map((r) => r.symbol);
    const ascending = visibleRates(rates, '', { column: 'change_1m', descending: false }).map((r) => r.symbol);
    const filtered = visibleRates(rates, ' usdt', { column: 'symbol', descending: false }).map((r) => r.symbol);

    // Assert
    expect(descending).toEqual(['SOLUSDT', 'BTCUSDT', 'ETHBTC', 'ETHUSDT']);
    expect(ascending).toEqual(['ETHBTC', 'BTCUSDT', 'SOLUSDT', 'ETHUSDT']);
    expect(filtered).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
  });

  it('keeps the last samples and answers percentiles', () => {
    // Prepare
    const window = new LatencyWindow(4);

    // Act
    for (const ms of [100, 1, 2, 3, 4, -1, Number.NaN]) window.add(ms);

    // Assert: 100 was overwritten, invalid samples ignored
    expect(window.count).toBe(4);
    expect([window.percentile(50), window.percentile(99)]).toEqual([2, 4]);
    expect(new LatencyWindow().percentile(50)).toBeUndefined();
  });

  it('renders only the rows in view, with overscan, within bounds', () => {
    // Act
    const top = visibleWindow(0, 280, 28, 2_000, 2);
    const middle = visibleWindow(28 * 100, 280, 28, 2_000, 2);
    const end = visibleWindow(28 * 1_995, 280, 28, 2_000, 2);

    // Assert
    expect(top).toEqual({ first: 0, last: 12 });
    expect(middle).toEqual({ first: 98, last: 112 });
    expect(end).toEqual({ first: 1_993, last: 2_000 });
  });
});
