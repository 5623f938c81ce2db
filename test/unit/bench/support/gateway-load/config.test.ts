import { loadGatewayBenchConfig, machineBusyPercent, machineCpuTimes, openFilesLimit } from '../../../../bench/support/gateway-load';

describe('loadGatewayBenchConfig', () => {
  it('defaults to the issue shape: 1,000 / 5,000 / 10,000 clients, every update then 250 ms', () => {
    // Act
    const config = loadGatewayBenchConfig({});

    // Assert
    expect(config).toMatchObject({ clients: [1000, 5000, 10_000], conflateMs: [0, 250], symbols: 2000, tradesPerSecond: 20_000, measureMs: 30_000, profile: true, redisDb: 14 });
  });

  it('reads lists and seconds from the environment', () => {
    // Act
    const config = loadGatewayBenchConfig({ BENCH_GATEWAY_CLIENTS: '200, 400', BENCH_GATEWAY_CONFLATE_MS: '250', BENCH_GATEWAY_SECONDS: '10', BENCH_GATEWAY_PROFILE: '0' });

    // Assert
    expect(config).toMatchObject({ clients: [200, 400], conflateMs: [250], measureMs: 10_000, profile: false });
  });

  it('names every bad variable', () => {
    // Act
    const load = () => loadGatewayBenchConfig({ BENCH_GATEWAY_CLIENTS: '1000,lots', BENCH_GATEWAY_SECONDS: '0' });

    // Assert
    expect(load).toThrow(/BENCH_GATEWAY_CLIENTS.*BENCH_GATEWAY_SECONDS|BENCH_GATEWAY_SECONDS.*BENCH_GATEWAY_CLIENTS/s);
  });
});

describe('openFilesLimit', () => {
  it('reads the soft limit from /proc/self/limits', () => {
    // Prepare
    const text = ['Limit                     Soft Limit           Hard Limit           Units', 'Max processes             63704                63704                processes', 'Max open files            20000                1048576              files'].join('\n');

    // Act & Assert
    expect(openFilesLimit(text)).toBe(20_000);
    expect(openFilesLimit('Max open files            unlimited            unlimited            files')).toBeUndefined();
    expect(openFilesLimit('')).toBeUndefined();
  });
});

describe('machine CPU', () => {
  it('gives busy time between two /proc/stat readings in percent of one core', () => {
    // Prepare: 1000 jiffies over 2 cores, 250 idle and 50 iowait.
    const before = machineCpuTimes('cpu  100 0 100 1000 0 0 0 0 0 0\ncpu0 ...');
    const after = machineCpuTimes('cpu  500 0 400 1250 50 0 0 0 0 0\ncpu0 ...');

    // Act
    const busy = machineBusyPercent(before, after, 2);

    // Assert
    expect(before).toEqual({ total: 1200, idle: 1000 });
    expect(busy).toBeCloseTo(140);
    expect(machineBusyPercent(after, after, 2)).toBeNaN();
  });
});
