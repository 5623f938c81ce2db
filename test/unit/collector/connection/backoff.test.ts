import { Backoff, ConnectionOptionsError } from '../../../../services/collector/connection';

describe('Backoff', () => {
  it('grows exponentially up to the cap, with full jitter between 0 and the cap', () => {
    const high = new Backoff({ baseMs: 500, maxMs: 30_000, random: () => 0.999999 });
    const delays = Array.from({ length: 10 }, () => high.nextDelay(0));
    expect(delays).toEqual([499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999, 29_999, 29_999]);
    const low = new Backoff({ random: () => 0 });
    expect(Array.from({ length: 5 }, () => low.nextDelay(0))).toEqual([0, 0, 0, 0, 0]);
  });

  it('stays within [0, cap) for any random value and never gives up', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const backoff = new Backoff({ baseMs: 100, maxMs: 5_000, random });
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const cap = backoff.capAt(0);
      const delay = backoff.nextDelay(0);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(cap);
      expect(cap).toBeLessThanOrEqual(5_000);
    }
    expect(backoff.attempts).toBe(1_000);
  });

  it('resets only after the connection stayed healthy for healthyResetMs', () => {
    const backoff = new Backoff({ baseMs: 1_000, maxMs: 60_000, healthyResetMs: 60_000, random: () => 0.5 });
    backoff.nextDelay(0);
    backoff.nextDelay(0);
    backoff.nextDelay(0);
    expect(backoff.capAt(0)).toBe(8_000);
    // Connected but dropped after 10 s: still counts as a failing streak.
    backoff.connected(100_000);
    expect(backoff.nextDelay(110_000)).toBe(4_000);
    expect(backoff.attempts).toBe(4);
    // Healthy for a minute: the next loss starts over at the base delay.
    backoff.connected(200_000);
    expect(backoff.capAt(260_000)).toBe(1_000);
    expect(backoff.nextDelay(260_000)).toBe(500);
    expect(backoff.attempts).toBe(1);
  });

  it('refuses nonsensical options with a typed error', () => {
    expect(() => new Backoff({ baseMs: 0 })).toThrow(ConnectionOptionsError);
    expect(() => new Backoff({ baseMs: 1_000, maxMs: 10 })).toThrow(ConnectionOptionsError);
    expect(() => new Backoff({ factor: 0.5 })).toThrow(ConnectionOptionsError);
  });
});
