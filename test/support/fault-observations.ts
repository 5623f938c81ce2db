import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { FaultPipeline } from './fault-pipeline';
import type { SecondCount, StoredRow } from './fault-checks';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the history queue is empty (the poison message only leaves it
 * for the DLQ) and the row count has stopped changing: everything the
 * collector sent is stored or dead-lettered. Gives up after `timeoutMs`; what
 * did not arrive by then is counted as missing.
 */
export async function drainQueue(pipeline: FaultPipeline, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let stableRounds = 0;
  let lastCount = -1;
  while (Date.now() < deadline) {
    const depth = await pipeline.queueDepth();
    const { rows } = await pipeline.monitorDb.query<{ n: number }>('SELECT count(*)::int AS n FROM price_change_rates');
    const count = rows[0]!.n;
    stableRounds = depth === 0 && count === lastCount ? stableRounds + 1 : 0;
    lastCount = count;
    if (stableRounds >= 3) return true;
    await sleep(1000);
  }
  return false;
}

export interface Observed {
  counts: SecondCount[];
  firstSecond: Map<string, number>;
  rows: StoredRow[];
  dlqBodies: string[];
}

/** Everything stored, and every message in the DLQ (each received once, kept invisible meanwhile). */
export async function readRowsAndDlq(pipeline: FaultPipeline): Promise<Observed> {
  const db = pipeline.monitorDb;
  const counts = (
    await db.query<{ symbol: string; second: number; rows: number }>(
      `SELECT symbol, (extract(epoch FROM date_trunc('second', time)) * 1000)::float8 AS second, count(*)::int AS rows
         FROM price_change_rates WHERE exchange = 'binance' GROUP BY 1, 2`,
    )
  ).rows;
  const firstSecond = new Map<string, number>();
  for (const count of counts) firstSecond.set(count.symbol, Math.min(firstSecond.get(count.symbol) ?? Number.POSITIVE_INFINITY, count.second));
  const rows = (
    await db.query<{ symbol: string; time: number; price: string; change_1m: number | null; change_5m: number | null; change_15m: number | null; flags: string[]; evaluated_at: number }>(
      `SELECT symbol, (extract(epoch FROM time) * 1000)::float8 AS time, price::text AS price, change_1m, change_5m, change_15m, flags,
              (extract(epoch FROM evaluated_at) * 1000)::float8 AS evaluated_at
         FROM price_change_rates WHERE exchange = 'binance'`,
    )
  ).rows.map((r) => ({ symbol: r.symbol, time: Math.round(r.time), price: r.price, change1m: r.change_1m, change5m: r.change_5m, change15m: r.change_15m, flags: r.flags, evaluatedAt: Math.round(r.evaluated_at) }));
  return { counts, firstSecond, rows, dlqBodies: await receiveAll(pipeline) };
}

async function receiveAll(pipeline: FaultPipeline): Promise<string[]> {
  const bodies: string[] = [];
  let emptyPolls = 0;
  while (emptyPolls < 2) {
    const { Messages = [] } = await pipeline.monitorSqs.send(
      new ReceiveMessageCommand({ QueueUrl: pipeline.queues.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 600 }),
    );
    emptyPolls = Messages.length === 0 ? emptyPolls + 1 : 0;
    bodies.push(...Messages.map((m) => m.Body ?? ''));
  }
  return bodies;
}
