import { LogLimiter } from '../../../../services/collector/connection';

describe('LogLimiter', () => {
  it('lets one line per key through per interval', () => {
    // Prepare
    const limiter = new LogLimiter(10_000);

    // Act
    const decisions = [limiter.allow('a', 0), limiter.allow('a', 9_999), limiter.allow('b', 9_999), limiter.allow('a', 10_000), limiter.allow('a', 10_001)];

    // Assert
    expect(decisions).toEqual([true, false, true, true, false]);
  });
});
