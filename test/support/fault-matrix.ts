import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultPipeline, type QueueSettings } from './fault-pipeline';
import { injectFault, type FaultName, type FaultStep, type Injection } from './faults';
import { drainQueue, readRowsAndDlq } from './fault-observations';
import { completeness, completenessWindow, tapeOf, verifyRow, type CollectorRun } from './fault-checks';

export type { FaultName, FaultStep } from './faults';

export interface FaultMatrixOptions {
  /** At least 100. */
  symbols: number;
  rate: number;
  seed: number;
  faults: FaultStep[];
  /** Steady running before the first fault and after the last. */
  warmupMs: number;
  /** Steady running after a fault recovered, before the next one: keeps the faults' rows apart. */
  quietMs: number;
  /** Longest wait for each recovery measure; one not reached is reported as null. */
  recoveryTimeoutMs: number;
  queue: QueueSettings;
  log?: (line: string) => void;
}

export interface Recovery {
  /** Seconds from the lift to `/ready` 200. */
  readySeconds: number | null;
  /** Seconds from the lift to a trade made after it in Redis (`tradeTs`; timer writes advance `ts` on a stalled feed too). */
  redisSeconds: number | null;
  /** Seconds from the lift to a row for a second after it in PostgreSQL. */
  rowsSeconds: number | null;
}

export interface RowCounts {
  /** Expected (symbol, second) cells in the window. */
  expected: number;
  missing: number;
  duplicated: number;
  /** Rows at least one field of which could be checked against the definition. */
  checked: number;
  wrong: number;
  wrongUnflagged: number;
}

export interface FaultOutcome extends RowCounts {
  fault: FaultName;
  durationMs: number;
  how: string;
  recovery: Recovery;
  /** About how long `/ready` did not answer 200 from the injection to the recovery: whether the collector admitted the fault. */
  unreadySeconds: number;
  /** Seconds (row times, epoch ms) attributed to this fault. */
  from: number;
  to: number;
}

export interface FaultMatrixReport {
  symbols: number;
  /** The completeness window, epoch ms of the first and last second. */
  window: { from: number; to: number; seconds: number };
  faults: FaultOutcome[];
  /** Rows of the steady run before the first fault. */
  baseline: RowCounts;
  total: RowCounts;
  dlq: { messages: number; onlyPoison: boolean };
  collectors: string[];
  /** A few missing cells and wrong unflagged rows, for the reader of a failure. */
  missingSample: Array<{ symbol: string; second: string }>;
  /** Up to three per fault (and for the baseline). */
  wrongSample: Array<{ bucket: string; symbol: string; second: string; flags: string[]; evaluatedAt: string; field: string; stored: number | null; expected: number }>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const INTERVAL_MS = 1000;
const POISON_BODY = 'poison: not a history message {';
/** Seconds before a fault whose rows it can still spoil: a killed task loses what it had not sent yet. */
const LEAD_MS = 3000;

function emptyCounts(): RowCounts {
  return { expected: 0, missing: 0, duplicated: 0, checked: 0, wrong: 0, wrongUnflagged: 0 };
}

/**
 * Polls the three recovery measures together after a fault is lifted.
 * `ready` follows whichever collector is current (a SIGKILL starts a new one).
 */
async function measureRecovery(pipeline: FaultPipeline, liftedAt: number, timeoutMs: number): Promise<Recovery> {
  const seconds = (at: number | undefined) => (at === undefined ? null : Number(((at - liftedAt) / 1000).toFixed(1)));
  const since = Math.floor(liftedAt / 1000) * 1000;
  let readyAt: number | undefined;
  let redisAt: number | undefined;
  let rowsAt: number | undefined;
  const deadline = Date.now() + timeoutMs;
  while ((readyAt === undefined || redisAt === undefined || rowsAt === undefined) && Date.now() < deadline) {
    const now = Date.now();
    if (readyAt === undefined && (await pipeline.collector.ready())) readyAt = now;
    if (redisAt === undefined && (await freshTradeInRedis(pipeline, liftedAt))) redisAt = now;
    if (rowsAt === undefined && (await rowAfter(pipeline, since))) rowsAt = now;
    await sleep(250);
  }
  return { readySeconds: seconds(readyAt), redisSeconds: seconds(redisAt), rowsSeconds: seconds(rowsAt) };
}

/** Samples `/ready` twice a second until stopped; resolves with the seconds it did not answer 200. */
function sampleUnreadiness(pipeline: FaultPipeline): { stop(): Promise<number> } {
  const periodMs = 500;
  let stopped = false;
  let unready = 0;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      if (!(await pipeline.collector.ready())) unready += 1;
      await sleep(Math.max(0, periodMs - (Date.now() - started)));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return (unready * periodMs) / 1000;
    },
  };
}

async function freshTradeInRedis(pipeline: FaultPipeline, after: number): Promise<boolean> {
  try {
    const pipelined = pipeline.monitorRedis.pipeline();
    for (const symbol of pipeline.symbols) pipelined.hget(`rates:binance:${symbol}`, 'tradeTs');
    const results = (await pipelined.exec()) ?? [];
    return results.some(([error, value]) => !error && Number(value) > after);
  } catch {
    return false; // Redis itself is the fault: not recovered yet
  }
}

async function rowAfter(pipeline: FaultPipeline, since: number): Promise<boolean> {
  const { rows } = await pipeline.monitorDb.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM price_change_rates WHERE time >= $1) AS found', [new Date(since)]);
  return rows[0]?.found === true;
}

/**
 * The fault matrix end to end: starts the pipeline, sends one poison message,
 * runs the faults one after another (each lifted, its recovery measured, then
 * a quiet time), stops the collector gracefully, lets ingest drain, and
 * measures every (symbol, second) of the run against the simulator's trades.
 * It measures; the caller decides what to assert.
 */
export async function runFaultMatrix(options: FaultMatrixOptions): Promise<FaultMatrixReport> {
  const log = options.log ?? (() => undefined);
  const workDir = mkdtempSync(join(tmpdir(), 'mdc-faults-'));
  const pipeline = new FaultPipeline({ symbols: options.symbols, rate: options.rate, seed: options.seed, queue: options.queue, workDir, region: 'us-east-1' });
  const runTag = Date.now().toString(36);
  let generation = 0;
  const nextCollectorId = () => `faults-${runTag}-${++generation}`;
  try {
    // Prepare
    await pipeline.start();
    await (await pipeline.spawnCollector(nextCollectorId())).waitReady(60_000);
    log(`pipeline up: ${options.symbols} symbols, logs in ${workDir}`);
    await pipeline.monitorSqs.send(new SendMessageCommand({ QueueUrl: pipeline.queues.queueUrl, MessageBody: POISON_BODY }));
    await sleep(options.warmupMs);

    // Act
    const injections: Array<{ step: FaultStep; injection: Injection; recovery: Recovery; unreadySeconds: number }> = [];
    for (const step of options.faults) {
      log(`fault ${step.fault} (${step.durationMs / 1000} s)`);
      const readiness = sampleUnreadiness(pipeline);
      let injection: Injection;
      let recovery: Recovery;
      let unreadySeconds = 0;
      try {
        injection = await injectFault(pipeline, step, nextCollectorId);
        recovery = await measureRecovery(pipeline, injection.liftedAt, options.recoveryTimeoutMs);
      } finally {
        unreadySeconds = await readiness.stop();
      }
      log(`  recovered: ready ${recovery.readySeconds} s, redis ${recovery.redisSeconds} s, rows ${recovery.rowsSeconds} s; not ready for ${unreadySeconds} s`);
      injections.push({ step, injection, recovery, unreadySeconds });
      await sleep(options.quietMs);
    }
    await sleep(Math.max(0, options.warmupMs - options.quietMs));
    const stoppedAt = Date.now();
    await pipeline.collector.stop('SIGTERM');
    await drainQueue(pipeline, (options.queue.maxReceiveCount + 1) * options.queue.visibilityTimeoutSeconds * 1000 + 60_000);

    // Measure
    const observed = await readRowsAndDlq(pipeline);
    const window = completenessWindow(observed.firstSecond, pipeline.symbols, stoppedAt);
    // A fault owns its seconds up to the next fault: what it spoils can outlast its recovery
    // (a quiet symbol shows a missed trade until it trades again).
    const starts = injections.map(({ injection }) => Math.floor(injection.injectedAt / 1000) * 1000 - LEAD_MS);
    const faults: FaultOutcome[] = injections.map(({ step, injection, recovery, unreadySeconds }, i) => ({
      fault: step.fault,
      durationMs: step.durationMs,
      how: injection.how,
      recovery,
      unreadySeconds,
      from: starts[i]!,
      to: (starts[i + 1] ?? Number.POSITIVE_INFINITY) - 1000,
      ...emptyCounts(),
    }));
    const baseline = emptyCounts();
    const total = emptyCounts();
    const faultAt = (second: number) => faults.find((f) => second >= f.from && second <= f.to);
    const bucketOf = (second: number): RowCounts => faultAt(second) ?? baseline;
    const { missing, duplicated } = completeness(observed.counts, pipeline.symbols, window.from, window.to);
    for (let second = window.from; second <= window.to; second += 1000) bucketOf(second).expected += pipeline.symbols.length;
    for (const gap of missing) bucketOf(gap.second).missing += 1;
    for (const gap of duplicated) bucketOf(gap.second).duplicated += 1;
    const runs: CollectorRun[] = pipeline.collectors.map((c) => ({ id: c.id, spawnedAt: c.spawnedAt, readyAt: c.readyAt, endedAt: c.endedAt }));
    const wrongSample: FaultMatrixReport['wrongSample'] = [];
    const tapes = new Map(pipeline.symbols.map((symbol) => [symbol, tapeOf(pipeline.sim.market.aggTrades(symbol))]));
    for (const row of observed.rows) {
      if (row.time < window.from || row.time > window.to) continue;
      const verdict = verifyRow(row, tapes.get(row.symbol)!, runs, INTERVAL_MS);
      const bucket = bucketOf(row.time);
      if (verdict.verified) bucket.checked += 1;
      if (verdict.wrong) bucket.wrong += 1;
      if (verdict.wrongUnflagged) bucket.wrongUnflagged += 1;
      const bucketName = faultAt(row.time)?.fault ?? 'baseline';
      if (verdict.wrongUnflagged && verdict.mismatch && wrongSample.filter((w) => w.bucket === bucketName).length < 3) {
        wrongSample.push({ bucket: bucketName, symbol: row.symbol, second: new Date(row.time).toISOString(), flags: row.flags, evaluatedAt: new Date(row.evaluatedAt).toISOString(), ...verdict.mismatch });
      }
    }
    for (const counts of [...faults, baseline]) for (const key of Object.keys(total) as Array<keyof RowCounts>) total[key] += counts[key];
    return {
      symbols: pipeline.symbols.length,
      window: { ...window, seconds: (window.to - window.from) / 1000 + 1 },
      faults,
      baseline,
      total,
      dlq: { messages: observed.dlqBodies.length, onlyPoison: observed.dlqBodies.length === 1 && observed.dlqBodies[0] === POISON_BODY },
      collectors: pipeline.collectors.map((c) => c.id),
      missingSample: missing.slice(0, 10).map((gap) => ({ symbol: gap.symbol, second: new Date(gap.second).toISOString() })),
      wrongSample,
    };
  } finally {
    await pipeline.stop();
    // The logs stay when asked for (FAULTS_KEEP_LOGS=1) to read what a collector saw.
    if (process.env.FAULTS_KEEP_LOGS !== '1') rmSync(workDir, { recursive: true, force: true });
  }
}

/** The report as the table the issue asks for. */
export function faultTable(report: FaultMatrixReport): string[] {
  const s = (value: number | null) => (value === null ? '-' : value.toFixed(1));
  const lines = ['| fault | recovery s (ready / redis / rows) | rows missing | rows duplicated | wrong unflagged rows | rows checked |', '| --- | --- | --- | --- | --- | --- |'];
  for (const f of report.faults) {
    const duration = f.durationMs > 0 ? ` ${f.durationMs / 1000} s` : '';
    lines.push(`| ${f.fault}${duration} | ${s(f.recovery.readySeconds)} / ${s(f.recovery.redisSeconds)} / ${s(f.recovery.rowsSeconds)} | ${f.missing} | ${f.duplicated} | ${f.wrongUnflagged} | ${f.checked} |`);
  }
  lines.push(`| (before the first fault) | | ${report.baseline.missing} | ${report.baseline.duplicated} | ${report.baseline.wrongUnflagged} | ${report.baseline.checked} |`);
  lines.push(`| total | | ${report.total.missing} | ${report.total.duplicated} | ${report.total.wrongUnflagged} | ${report.total.checked} |`);
  return lines;
}
