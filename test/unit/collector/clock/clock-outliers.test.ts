import { ExchangeClock } from '../../../../services/collector/clock';
import { StreamConnection } from '../../../../services/collector/connection';
import type { Trade } from '../../../../services/collector/domain';
import { BinanceStreamProtocol } from '../../../../services/collector/exchange/binance';
import { CollectorMetrics } from '../../../../services/collector/metrics';
import { createLogger } from '../../../../services/shared';
import { type FakeSocket, aggTrade, fakeSocketFactory } from '../connection/fakes';

const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });
const STREAM = 'btcusdt@aggTrade';

async function rejected(metrics: CollectorMetrics, reason: string): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'collector_rejected_messages_total');
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values.filter((v) => v.labels.reason === reason).reduce((sum, v) => sum + v.value, 0);
}

/**
 * The sequence end to end through a connection, the Binance parser and
 * the exchange clock: two events 9 minutes in the future (each within
 * MAX_CLOCK_DISTANCE_MS of the clock when it arrives) used to ratchet the clock
 * 18 minutes ahead, after which every real trade was refused as time_out_of_range.
 */
describe('exchange clock against wild event times, through a connection', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('accepts the real trades after two events 9 minutes ahead, and keeps the clock on the feed', async () => {
    // Prepare: monotonic time is the fake timers' clock, and so is the feed.
    const clock = new ExchangeClock(() => Date.now(), () => Date.now());
    const metrics = new CollectorMetrics({ collectDefaults: false });
    const trades: Trade[] = [];
    const { factory, sockets } = fakeSocketFactory();
    const connection = new StreamConnection({
      id: 'c1',
      protocol: new BinanceStreamProtocol(),
      baseWsUrl: 'ws://fake',
      onTrade: (t) => trades.push(t),
      clock,
      metrics,
      logger,
      socketFactory: factory,
      random: () => 0.5,
      maxClockDistanceMs: 10 * 60_000,
      streams: [STREAM],
    });
    connection.start();
    const socket = sockets[0] as FakeSocket;
    socket.open();
    jest.advanceTimersByTime(300);
    socket.ackAll();
    let id = 1;
    const live = (count: number) => {
      for (let i = 0; i < count; i += 1) {
        jest.advanceTimersByTime(10);
        socket.serverSend(aggTrade(STREAM, id++));
      }
    };
    live(20);

    // Act
    for (let i = 0; i < 2; i += 1) {
      jest.advanceTimersByTime(10);
      socket.serverSend(aggTrade(STREAM, id++, clock.now() + 9 * 60_000));
    }
    live(50);

    // Assert
    expect(await rejected(metrics, 'time_out_of_range')).toBe(0);
    expect(trades).toHaveLength(72);
    expect(clock.now()).toBe(Date.now());
    const closed = connection.close({ timeoutMs: 1_000 });
    await jest.advanceTimersByTimeAsync(1_000);
    await closed;
  });
});
