import { moversView, parseRanked } from '../../../services/gateway/movers';

describe('movers', () => {
  it('parses a WITHSCORES reply and formats the scores like the hash', () => {
    // Act
    const movers = parseRanked(['AA', '5.5', 'BB', '0.10000000000000001', 'CC', 'nan', 'DD', '-1e-7']);

    // Assert
    expect(movers).toEqual([
      { symbol: 'AA', change: '5.5' },
      { symbol: 'BB', change: '0.1' },
      { symbol: 'DD', change: '-0.0000001' },
    ]);
  });

  it('gives gainers above zero and losers below zero, each bounded by the limit', () => {
    // Prepare
    const highest = [
      { symbol: 'AA', change: '3' },
      { symbol: 'BB', change: '2' },
      { symbol: 'CC', change: '0' },
      { symbol: 'DD', change: '-1' },
    ];
    const lowest = [...highest].reverse();

    // Act
    const one = moversView(highest, lowest, 1);
    const all = moversView(highest, lowest, 10);

    // Assert
    expect(one).toEqual({ gainers: [{ symbol: 'AA', change: '3' }], losers: [{ symbol: 'DD', change: '-1' }] });
    expect(all.gainers.map((m) => m.symbol)).toEqual(['AA', 'BB']);
    expect(all.losers.map((m) => m.symbol)).toEqual(['DD']);
  });
});
