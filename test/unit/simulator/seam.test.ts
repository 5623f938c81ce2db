import { parseCli } from '../../../services/simulator/cli';
import { SimulatorConfigError } from '../../../services/simulator/errors';
import { createProtocol } from '../../../services/simulator/exchanges';
import { SlidingWindowCounter } from '../../../services/simulator/limits';
import { resolveOptions } from '../../../services/simulator/options';
import { parseOkxCaptureLine, parseRecording } from '../../../services/simulator/replay';

const ORIGIN = 1_704_067_200_000;

describe('exchange options', () => {
  it('defaults to binance and sets each exchange its own keepalive and age cut', () => {
    // Act
    const binance = resolveOptions({});
    const okx = resolveOptions({ exchange: 'okx' });
    const bybit = resolveOptions({ exchange: 'bybit', idleTimeoutMs: 5000 });
    // Assert
    expect([binance.exchange, binance.maxConnectionAgeMs]).toEqual(['binance', 86_400_000]);
    expect([okx.idleTimeoutMs, okx.maxConnectionAgeMs]).toEqual([30_000, Number.POSITIVE_INFINITY]);
    expect(bybit.idleTimeoutMs).toBe(5000);
  });

  it('refuses unknown exchanges and files of the wrong exchange, naming the fix', () => {
    // Act / Assert
    expect(() => resolveOptions({ exchange: 'kraken' as never })).toThrow(SimulatorConfigError);
    expect(() => resolveOptions({ exchange: 'binance', instrumentsFile: 'x.json' })).toThrow('use it with exchange okx');
    expect(() => resolveOptions({ exchange: 'okx', exchangeInfoFile: 'x.json' })).toThrow('use instrumentsFile');
    expect(() => createProtocol('kraken' as never, resolveOptions({}))).toThrow(SimulatorConfigError);
  });

  it('reads --exchange, --instruments-file and --idle-timeout-ms', () => {
    // Act
    const options = parseCli(['--exchange', 'okx', '--instruments-file', 'i.json', '--idle-timeout-ms', '1000', '--port', '0']);
    // Assert
    expect(options).toMatchObject({ exchange: 'okx', instrumentsFile: 'i.json', idleTimeoutMs: 1000, port: 0 });
    expect(() => parseCli(['--exchange', 'kraken'])).toThrow('--exchange must be binance, okx or bybit');
  });
});

describe('sliding window counter', () => {
  it('admits `limit` hits per window per client and forgets them as the window slides', () => {
    // Prepare
    const counter = new SlidingWindowCounter(2, 1000, 2);
    // Act
    const hits = [counter.hit('a', 0), counter.hit('a', 10), counter.hit('a', 20), counter.hit('b', 20), counter.hit('a', 1001)];
    const wait = counter.waitMs('a', 1002);
    // Assert
    expect(hits).toEqual([true, true, false, true, true]);
    expect(wait).toBe(8);
  });

  it('shares one bucket among clients past its cap instead of growing', () => {
    // Prepare
    const counter = new SlidingWindowCounter(1, 1000, 1);
    // Act
    const hits = [counter.hit('a', 0), counter.hit('b', 0), counter.hit('c', 0)];
    // Assert
    expect(hits).toEqual([true, true, false]);
  });
});

describe('okx capture replay', () => {
  const line = `${ORIGIN / 1000}.5: {"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"338476307","px":"30236","sz":"0.0002","side":"sell","ts":"${ORIGIN}"}]}`;

  it('takes the spot trades pushes of `<time>: <message>` lines and skips everything else', () => {
    // Act
    const events = parseOkxCaptureLine(line, 3);
    const swap = parseOkxCaptureLine(line.replaceAll('BTC-USDT', 'UNI-USD-SWAP'), 4);
    const header = parseOkxCaptureLine('wss://ws.okx.com:8443/ws/v5/public <-> 1652459224.53', 1);
    // Assert
    expect(events).toEqual([{ stream: 'trades:BTC-USDT', symbol: 'BTCUSDT', eventTime: ORIGIN, trade: { a: 338476307, f: 338476307, l: 338476307, T: ORIGIN, priceE8: 3_023_600_000_000, qtyE8: 20_000, m: true } }]);
    expect(swap).toEqual([]);
    expect(header).toEqual([]);
  });

  it('detects the format, and refuses a capture for another exchange', () => {
    // Prepare
    const capture = `wss://ws.okx.com:8443/ws/v5/public <-> 1\n${line}\n`;
    // Act
    const events = parseRecording(capture, 10, 'okx');
    // Assert
    expect(events).toHaveLength(1);
    expect(() => parseRecording(capture, 10, 'binance')).toThrow('replay it with exchange okx');
    expect(() => parseRecording('header\n', 10, 'okx')).toThrow('no spot trades push');
  });
});
