import { rotationDueAt } from '../../../../services/collector/connection';

const HOUR = 60 * 60_000;

describe('rotationDueAt', () => {
  it('asks rotateBeforeMs plus a random share of rotateJitterMs before the age cut', () => {
    // Prepare
    const timing = { openedAt: 1_000, maxConnectionAgeMs: 24 * HOUR, rotateBeforeMs: 10 * 60_000, rotateJitterMs: 5 * 60_000 };

    // Act
    const earliest = rotationDueAt({ ...timing, random: () => 0.999 });
    const latest = rotationDueAt({ ...timing, random: () => 0 });

    // Assert
    expect(latest).toBe(1_000 + 24 * HOUR - 10 * 60_000);
    expect(earliest).toBeCloseTo(1_000 + 24 * HOUR - 10 * 60_000 - 0.999 * 5 * 60_000, 6);
  });

  it('keeps the margins inside a short age: at most half of it before, a quarter of jitter', () => {
    // Act
    const dueAt = rotationDueAt({ openedAt: 0, maxConnectionAgeMs: 1_000, rotateBeforeMs: 10 * 60_000, rotateJitterMs: 5 * 60_000, random: () => 0.5 });

    // Assert
    expect(dueAt).toBe(1_000 - 500 - 125);
  });

  it('never rotates when the exchange has no age cut', () => {
    // Act
    const dueAt = rotationDueAt({ openedAt: 0, maxConnectionAgeMs: Infinity, rotateBeforeMs: 600_000, rotateJitterMs: 300_000, random: () => 0.5 });

    // Assert
    expect(dueAt).toBeUndefined();
  });
});
