import { Backoff } from '../../../../services/gateway/client';

describe('Backoff', () => {
  it('doubles the ceiling per failure up to the maximum, with full jitter', () => {
    // Prepare
    const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 1 });

    // Act
    const delays = Array.from({ length: 6 }, () => backoff.next());

    // Assert
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('draws each delay between zero and the ceiling', () => {
    // Prepare
    const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0.25 });

    // Act
    const delays = [backoff.next(), backoff.next(), backoff.next()];

    // Assert
    expect(delays).toEqual([25, 50, 100]);
  });

  it('starts over after a reset', () => {
    // Prepare
    const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 1 });
    backoff.next();
    backoff.next();

    // Act
    backoff.reset();

    // Assert
    expect(backoff.next()).toBe(100);
  });
});
