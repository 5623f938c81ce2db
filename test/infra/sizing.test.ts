import { DEFAULT_CONFIG } from '../../lib/config';
import { DEFAULT_DATABASE_FREE_STORAGE_THRESHOLD_BYTES } from '../../lib/monitoring';
import {
  DEFAULT_ALLOCATED_STORAGE_GIB,
  DEFAULT_FREE_STORAGE_ALARM_GIB,
  DEFAULT_HISTORY_SIZING,
  DEFAULT_MAX_ALLOCATED_STORAGE_GIB,
  historySizing,
  STORAGE_HEADROOM,
} from '../../lib/sizing';

describe('history sizing', () => {
  it('counts one raw row per symbol per persistence interval and one rollup row per minute', () => {
    // Act
    const sizing = historySizing({ symbols: 1_500, rawRetentionDays: 7, rollupRetentionDays: 730, rawBytesPerRow: 200, rollupBytesPerRow: 250, dayFileBytesPerBar: 100 });
    const slower = historySizing({ symbols: 1_500, rawRetentionDays: 7, rollupRetentionDays: 730, persistIntervalMs: 5_000 });

    // Assert
    expect(sizing.rawRowsPerDay).toBe(129_600_000);
    expect(sizing.rollupRowsPerDay).toBe(2_160_000);
    expect(sizing.rawGiB).toBeCloseTo((129_600_000 * 200 * 8) / 1024 ** 3, 6);
    expect(sizing.rollupGiB).toBeCloseTo((2_160_000 * 250 * 761) / 1024 ** 3, 6);
    expect(sizing.dayFilesGiB).toBeCloseTo((2_160_000 * 100 * 93) / 1024 ** 3, 6);
    expect(sizing.requiredGiB).toBeCloseTo((sizing.rawGiB + sizing.rollupGiB + sizing.dayFilesGiB) / (1 - STORAGE_HEADROOM), 6);
    expect(slower.rawRowsPerDay).toBe(25_920_000);
  });

  it('gives the stack storage that holds the default history with its headroom', () => {
    // Assert
    expect(DEFAULT_CONFIG.dbMaxAllocatedStorageGiB).toBe(DEFAULT_MAX_ALLOCATED_STORAGE_GIB);
    expect(DEFAULT_CONFIG.dbMaxAllocatedStorageGiB).toBeGreaterThanOrEqual(DEFAULT_HISTORY_SIZING.requiredGiB);
    expect(DEFAULT_CONFIG.dbAllocatedStorageGiB).toBe(DEFAULT_ALLOCATED_STORAGE_GIB);
  });

  it('lets storage autoscaling act before the free-storage alarm can fire', () => {
    // Assert: autoscaling adds space below 10 % free.
    expect(DEFAULT_ALLOCATED_STORAGE_GIB * 0.1).toBeGreaterThanOrEqual(DEFAULT_FREE_STORAGE_ALARM_GIB);
    expect(DEFAULT_FREE_STORAGE_ALARM_GIB).toBeGreaterThanOrEqual(DEFAULT_HISTORY_SIZING.rawGiBPerDay + DEFAULT_HISTORY_SIZING.rollupGiBPerDay);
    expect(DEFAULT_DATABASE_FREE_STORAGE_THRESHOLD_BYTES).toBe(DEFAULT_FREE_STORAGE_ALARM_GIB * 1024 ** 3);
  });
});
