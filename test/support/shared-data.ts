import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Real recorded Binance data lives beside the clone (`../shared/data`), never
 * inside the repository. Where it is absent, tests that need it are skipped with
 * the reason: the only skip this suite allows.
 */
export const SHARED_DATA_DIR = process.env.SHARED_DATA_DIR ?? resolve(__dirname, '..', '..', '..', 'shared', 'data');

export const sharedDataAvailable = existsSync(SHARED_DATA_DIR);

export const sharedDataFile = (name: string): string => join(SHARED_DATA_DIR, name);

/**
 * `describe` when the recorded data exists. Otherwise the block's body is never
 * run (it may read the data while collecting tests); one skipped test stands in
 * for it, its title saying why.
 */
export function describeWithSharedData(name: string, fn: () => void): void {
  if (sharedDataAvailable) {
    describe(name, fn);
    return;
  }
  // The one skip the suite allows: the recorded data is not beside this checkout.
  const skipBecauseDataIsAbsent = it.skip;
  describe(name, () => {
    skipBecauseDataIsAbsent(`skipped: recorded Binance data not found at ${SHARED_DATA_DIR}`, () => undefined);
  });
}
