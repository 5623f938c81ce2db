import { isInShard, shardOf } from '../../../../services/collector/config';

const symbols = Array.from({ length: 10_000 }, (_, i) => `S${i.toString(36).toUpperCase()}USDT`);

describe('shardOf', () => {
  it('gives every symbol exactly one shard, spread evenly', () => {
    // Act
    const counts = new Array<number>(4).fill(0);
    for (const symbol of symbols) counts[shardOf(symbol, 4)]! += 1;

    // Assert: within 10 % of a fair share.
    for (const count of counts) expect(Math.abs(count - 2500)).toBeLessThan(250);
    expect(symbols.filter((s) => isInShard(s, { count: 4, index: 2 }))).toHaveLength(counts[2]!);
  });

  it('moves only about 1/(N+1) of the symbols when a shard is added', () => {
    // Act
    const moved = symbols.filter((symbol) => shardOf(symbol, 4) !== shardOf(symbol, 5)).length;

    // Assert: ideal is 2000 of 10000; a modulo hash would move 8000.
    expect(moved).toBeGreaterThan(1500);
    expect(moved).toBeLessThan(2500);
  });

  it('is stable for a symbol whatever other symbols exist', () => {
    // Act / Assert
    expect(shardOf('BTCUSDT', 8)).toBe(shardOf('BTCUSDT', 8));
    expect(shardOf('BTCUSDT', 1)).toBe(0);
  });
});
