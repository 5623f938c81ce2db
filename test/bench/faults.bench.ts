import { faultTable, runFaultMatrix, type FaultStep } from '../support/fault-matrix';
import type { BenchResult } from './run';

/**
 * The fault matrix of the design (`npm run bench -- faults`): the whole local
 * pipeline for 100 symbols through every fault with the durations,
 * one after another with recovery in between. Measured, not asserted: the
 * table says what each fault costs today.
 */
const FAULTS: FaultStep[] = [
  { fault: 'collector-sigkill', durationMs: 5_000 },
  { fault: 'redis-restart', durationMs: 2_000 },
  { fault: 'redis-blackhole', durationMs: 20_000 },
  { fault: 'sqs-down', durationMs: 60_000 },
  { fault: 'postgres-down', durationMs: 60_000 },
  { fault: 'spill-unwritable', durationMs: 20_000 },
  { fault: 'exchange-drop', durationMs: 0 },
  { fault: 'exchange-stall', durationMs: 0 },
];

const SYMBOLS = 100;
const RATE = 300;
const SEED = 7;

/**
 * Receives before the DLQ as in the stack (MAX_RECEIVE_COUNT, 5); the visibility
 * timeout scaled down from the stack's 182 s so the run stays minutes long,
 * while 5 receives still outlast the 60 s outages; batches as the stack's event
 * source mapping (100 records, 2 s window).
 */
const QUEUE = { visibilityTimeoutSeconds: 30, maxReceiveCount: 5, batchSize: 100, batchingWindowMs: 2_000 };

export default async function runFaultsBench(): Promise<BenchResult> {
  const report = await runFaultMatrix({
    symbols: SYMBOLS,
    rate: RATE,
    seed: SEED,
    faults: FAULTS,
    warmupMs: 20_000,
    quietMs: 15_000,
    recoveryTimeoutMs: 180_000,
    queue: QUEUE,
    log: (line) => console.log(`[faults] ${line}`),
  });
  const table = faultTable(report);
  console.log(table.join('\n'));
  const metrics: Record<string, number | string> = {
    symbols: report.symbols,
    windowSeconds: report.window.seconds,
    total_missing: report.total.missing,
    total_duplicated: report.total.duplicated,
    total_wrongUnflagged: report.total.wrongUnflagged,
    total_checked: report.total.checked,
    baseline_missing: report.baseline.missing,
    baseline_wrongUnflagged: report.baseline.wrongUnflagged,
    baseline_checked: report.baseline.checked,
    dlq_messages: report.dlq.messages,
    dlq_onlyPoison: String(report.dlq.onlyPoison),
  };
  for (const f of report.faults) {
    const na = (value: number | null) => (value === null ? 'not recovered' : value);
    metrics[`${f.fault}_readyS`] = na(f.recovery.readySeconds);
    metrics[`${f.fault}_redisS`] = na(f.recovery.redisSeconds);
    metrics[`${f.fault}_rowsS`] = na(f.recovery.rowsSeconds);
    metrics[`${f.fault}_unreadyS`] = f.unreadySeconds;
    metrics[`${f.fault}_missing`] = f.missing;
    metrics[`${f.fault}_duplicated`] = f.duplicated;
    metrics[`${f.fault}_wrongUnflagged`] = f.wrongUnflagged;
    metrics[`${f.fault}_wrong`] = f.wrong;
    metrics[`${f.fault}_checked`] = f.checked;
  }
  return {
    name: 'faults',
    metrics,
    tables: table,
    notes: [
      `${report.symbols} symbols at ${RATE} trades/s (simulator, seed ${SEED}), collector as a child process (SIGKILL starts a new task with a new COLLECTOR_ID: ${report.collectors.join(', ')}), Redis and fauxqs of its own behind loopback proxies, ingest runner (batch ${QUEUE.batchSize}, window ${QUEUE.batchingWindowMs} ms, visibility ${QUEUE.visibilityTimeoutSeconds} s, maxReceiveCount ${QUEUE.maxReceiveCount}, DLQ), PostgreSQL behind a proxy on the ingest side`,
      ...report.faults.map((f) => `${f.fault}: ${f.how}`),
      `window ${new Date(report.window.from).toISOString()} .. ${new Date(report.window.to).toISOString()} (${report.window.seconds} s): from the first second every symbol has a row to the last second closed before the final SIGTERM; a fault owns the seconds from 3 s before its injection to 3 s before the next one's (its aftermath included; the last one to the end)`,
      'missing = (symbol, second) without a row; duplicated = more than one row in one (symbol, second)',
      'wrong = price not the last trade at or before the end of the row\'s second, or a change not the definition at the row\'s evaluated_at, from the simulator\'s trade record; only fields resting on trades after the producing collector was subscribed are checked (earlier ones are warm-start klines); unflagged = without gap or stale',
      'recovery: seconds from lifting the fault to /ready 200, to a trade made after it in Redis (tradeTs), to a row for a second after it in PostgreSQL; unreadyS: about how long /ready was not 200 from injection to recovery',
      `DLQ: ${report.dlq.messages} message(s), only the poison message: ${report.dlq.onlyPoison}`,
      ...(report.missingSample.length > 0 ? [`missing sample: ${JSON.stringify(report.missingSample)}`] : []),
      ...(report.wrongSample.length > 0 ? [`wrong unflagged sample: ${JSON.stringify(report.wrongSample)}`] : []),
    ],
  };
}
