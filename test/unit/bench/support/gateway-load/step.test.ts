import { splitClients, sumReports, type ClientsReport } from '../../../../bench/support/gateway-load';

const report = (overrides: Partial<ClientsReport>): ClientsReport => ({ event: 'report', open: 10, closedByCode: {}, updates: 0, rates: 0, movers: 0, bytes: 0, latency: {}, age: {}, loopDelayP99Ms: 1, ...overrides });

describe('sumReports', () => {
  it('sums the processes and seconds, with a p50 per second and the open connections of the last second', () => {
    // Prepare: two processes, two seconds.
    const bySecond = [
      [report({ bytes: 100, updates: 2, rates: 4, movers: 1, latency: { 5: 3 }, age: { 100: 1 } }), report({ bytes: 50, latency: { 7: 1 }, loopDelayP99Ms: 9 })],
      [report({ bytes: 10, latency: { 40: 2 }, closedByCode: { 1013: 2 }, open: 8 }), report({ open: 10, closedByCode: { 1013: 1, 1006: 1 } })],
    ];

    // Act
    const totals = sumReports(bySecond);

    // Assert
    expect(totals.bytes).toBe(160);
    expect([totals.updates, totals.rates, totals.movers]).toEqual([2, 4, 1]);
    expect(totals.latency.count).toBe(6);
    expect(totals.age.quantile(0.5)).toBe(100);
    expect(totals.p50BySecond).toEqual([5, 40]);
    expect(totals.closedByCode).toEqual({ 1013: 3, 1006: 1 });
    expect(totals.openAtEnd).toBe(18);
    expect(totals.loopDelayP99Ms).toBe(9);
  });

  it('gives NaN for a second without samples and zero without seconds', () => {
    // Act
    const quiet = sumReports([[report({})]]);
    const none = sumReports([]);

    // Assert
    expect(quiet.p50BySecond).toEqual([Number.NaN]);
    expect(none.openAtEnd).toBe(0);
  });
});

describe('splitClients', () => {
  it('uses at least the minimum of processes and at most the per-process bound', () => {
    // Act & Assert
    expect(splitClients(1000, 5000, 2)).toEqual([500, 500]);
    expect(splitClients(10_001, 5000, 2)).toEqual([3334, 3334, 3333]);
    expect(splitClients(1, 5000, 2)).toEqual([1]);
  });
});
