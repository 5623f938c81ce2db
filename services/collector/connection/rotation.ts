export interface RotationTiming {
  openedAt: number;
  /** The exchange's connection age cut; `Infinity` when there is none. */
  maxConnectionAgeMs: number;
  /** Ask this long before the cut (at most half the age). */
  rotateBeforeMs: number;
  /** Up to this much earlier again, at random (at most a quarter of the age). */
  rotateJitterMs: number;
  /** [0, 1) */
  random: () => number;
}

/**
 * When a connection opened at `openedAt` should ask for its make-before-break
 * replacement, or undefined when the exchange never cuts connections for age. The
 * jitter keeps connections opened together from rotating together.
 */
export function rotationDueAt(timing: RotationTiming): number | undefined {
  const maxAge = timing.maxConnectionAgeMs;
  if (!Number.isFinite(maxAge)) return undefined;
  const before = Math.min(timing.rotateBeforeMs, maxAge / 2);
  const jitter = Math.min(timing.rotateJitterMs, maxAge / 4) * timing.random();
  return timing.openedAt + maxAge - before - jitter;
}
