import { faultTable, runFaultMatrix, type FaultMatrixReport } from '../support/fault-matrix';

/**
 * A short slice of the fault matrix (`npm run bench -- faults` runs all of it
 * with the durations) on the whole local pipeline: simulator, a
 * collector child process, Redis and fauxqs of its own, the ingest runner and
 * a database of its own, through every kind of fault with short durations.
 * Rows that are wrong but unflagged are measured by the bench, not asserted
 * here: their count depends on timing on a loaded 2-core machine.
 */
jest.setTimeout(300_000);

describe('fault matrix end to end', () => {
  let report: FaultMatrixReport;

  beforeAll(async () => {
    report = await runFaultMatrix({
      symbols: 100,
      rate: 200,
      seed: 20261,
      faults: [
        { fault: 'collector-sigkill', durationMs: 3000 },
        { fault: 'redis-restart', durationMs: 1000 },
        { fault: 'redis-blackhole', durationMs: 4000 },
        { fault: 'sqs-down', durationMs: 5000 },
        { fault: 'postgres-down', durationMs: 5000 },
        { fault: 'spill-unwritable', durationMs: 4000 },
        { fault: 'exchange-drop', durationMs: 0 },
        { fault: 'exchange-stall', durationMs: 0 },
      ],
      warmupMs: 6000,
      quietMs: 5000,
      recoveryTimeoutMs: 60_000,
      // Short visibility so the poison message reaches the DLQ (after 5 receives) within the test.
      queue: { visibilityTimeoutSeconds: 5, maxReceiveCount: 5, batchSize: 100, batchingWindowMs: 1000 },
    });
    console.log(faultTable(report).join('\n'));
  });

  it('stores every symbol exactly once per second across the faults', () => {
    expect(report.symbols).toBeGreaterThanOrEqual(100);
    expect(report.window.seconds).toBeGreaterThanOrEqual(20);
    expect(report.missingSample).toEqual([]);
    expect(report.total.missing).toBe(0);
    expect(report.total.duplicated).toBe(0);
    for (const fault of report.faults) expect({ fault: fault.fault, missing: fault.missing, duplicated: fault.duplicated }).toEqual({ fault: fault.fault, missing: 0, duplicated: 0 });
  });

  it('recovers from every fault', () => {
    for (const fault of report.faults) {
      expect({ fault: fault.fault, ready: fault.recovery.readySeconds !== null, redis: fault.recovery.redisSeconds !== null, rows: fault.recovery.rowsSeconds !== null }).toEqual({ fault: fault.fault, ready: true, redis: true, rows: true });
    }
  });

  it('dead-letters the poison message and nothing else', () => {
    expect(report.dlq).toEqual({ messages: 1, onlyPoison: true });
  });
});
