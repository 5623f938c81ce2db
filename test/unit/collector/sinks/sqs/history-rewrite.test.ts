import type { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRatePrecedence } from '../../../../../lambdas/ingest/precedence';
import type { RateRecord } from '../../../../../lambdas/ingest/merge';
import type { RateState } from '../../../../../services/shared/rates';
import { HistoryBatcher, HistoryPersister, rewriteInstants } from '../../../../../services/collector/sinks/sqs';
import type { RateRow } from '../../../../../services/shared/history';

const state = (ts: number, price: string, flags: string[] = []): RateState => ({ symbol: 'BTCUSDT', priceText: price, ts, tradeTs: ts, flags });

const record = (row: RateRow): RateRecord => ({ time: row[0], exchange: 'binance', symbol: row[1], price: row[2], change1m: row[3], change5m: row[4], change15m: row[5], flags: row[6], evaluatedAt: row[7] });

describe('rewriteInstants: which intervals a closed gap evaluates again', () => {
  it('takes each interval end - 1 ms from the first late trade through the last closed interval', () => {
    // Act: late trades from 10.2 s, clock less settle at 14.5 s.
    const instants = rewriteInstants(10_200, 14_500, 1000, 300);

    // Assert: 14 s is still open.
    expect(instants).toEqual([10_999, 11_999, 12_999, 13_999]);
  });

  it('keeps the newest intervals when the gap is longer than the bound', () => {
    // Act
    const instants = rewriteInstants(0, 1_000_500, 1000, 3);

    // Assert
    expect(instants).toEqual([997_999, 998_999, 999_999]);
  });

  it('is empty while the first late interval is still open', () => {
    // Act / Assert
    expect(rewriteInstants(14_200, 14_900, 1000, 300)).toEqual([]);
  });
});

describe('HistoryBatcher: rows of live states and corrected rows', () => {
  it('makes a corrected row only at an interval last millisecond', () => {
    // Prepare
    const batcher = new HistoryBatcher(1000);

    // Act
    const corrected = batcher.correctionRow(state(10_999, '3.00', ['stale']));
    const elsewhere = batcher.correctionRow(state(10_998, '3.00'));

    // Assert
    expect(corrected).toEqual([10_000, 'BTCUSDT', '3.00', null, null, null, ['stale'], 10_999]);
    expect(elsewhere).toBeUndefined();
  });

  it('wins over the live rows of its interval: newer, or on a tie in the last millisecond, with fewer flags', () => {
    // Prepare: one live row made mid-interval, one made in the last millisecond while a gap was open.
    const batcher = new HistoryBatcher(1000);
    batcher.record(state(10_400, '1.00'));
    batcher.record(state(11_999, '2.00', ['gap']));
    const [early, tied] = batcher.close(12_000);
    const correctedEarly = batcher.correctionRow(state(10_999, '9.00', ['stale']))!;
    const correctedTied = batcher.correctionRow(state(11_999, '3.00'))!;

    // Act
    const orders = [compareRatePrecedence(record(correctedEarly), record(early!)), compareRatePrecedence(record(correctedTied), record(tied!))];

    // Assert
    expect(tied![7]).toBe(correctedTied[7]);
    expect(orders.every((order) => order > 0)).toBe(true);
  });
});

describe('HistoryPersister.rewrite', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'rewrite-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('sends corrected rows for closed intervals at once and for the others once they close, skipping what the evaluator cannot answer', async () => {
    // Prepare: a clock at 15.2 s, settle 1 s; the symbol has history rows.
    let now = 15_200;
    const sent: string[] = [];
    const client = {
      send: (command: SendMessageBatchCommand) => {
        for (const entry of command.input.Entries ?? []) sent.push(entry.MessageBody!);
        return Promise.resolve({});
      },
    } as unknown as SQSClient;
    const persister = new HistoryPersister({
      exchange: 'binance',
      collectorId: 'unit',
      queueUrl: 'http://127.0.0.1:1/queue/unit',
      region: 'us-east-1',
      intervalMs: 1000,
      settleMs: 1000,
      maxMessageBytes: 256 * 1024,
      spillDirectory: directory,
      spillMaxBytes: 1024 * 1024,
      now: () => now,
      connections: () => [],
      client,
    });
    persister.record(state(9_500, '1.00'));
    const asked: number[] = [];

    // Act
    persister.start();
    // Late trades from 11.3 s to 15.1 s: intervals 11-13 s are closed (clock less settle 14.2 s), 14 and 15 s are not.
    const count = persister.rewrite('BTCUSDT', 11_300, 15_100, (t) => {
      asked.push(t);
      return t === 12_999 ? undefined : state(t, `${t}.00`);
    });
    const askedAtOnce = [...asked];
    const unknown = persister.rewrite('ETHUSDT', 11_300, 11_300, (t) => state(t, '1.00'));
    now = 17_500;
    await persister.close(2000);

    // Assert
    const rows = sent.map((body) => JSON.parse(body) as { kind: string; rows?: RateRow[] }).filter((m) => m.kind === 'rates').flatMap((m) => m.rows!);
    expect(askedAtOnce).toEqual([11_999, 12_999, 13_999]);
    expect(asked).toEqual([11_999, 12_999, 13_999, 14_999, 15_999]);
    expect(count).toBe(2);
    expect(unknown).toBe(0);
    expect(rows.filter((r) => r[7] % 1000 === 999)).toEqual([
      [11_000, 'BTCUSDT', '11999.00', null, null, null, [], 11_999],
      [13_000, 'BTCUSDT', '13999.00', null, null, null, [], 13_999],
      [14_000, 'BTCUSDT', '14999.00', null, null, null, [], 14_999],
      [15_000, 'BTCUSDT', '15999.00', null, null, null, [], 15_999],
    ]);
    expect(persister.status()).toMatchObject({ rowsRewritten: 4 });
  });
});
