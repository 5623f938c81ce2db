import { LocalPlanError, parseExchanges, parseFeed, planLocalExchanges } from '../../../localstack/exchanges';

describe('planLocalExchanges (npm start)', () => {
  it('runs all three exchanges against their simulators by default, each on its own ports', () => {
    // Act
    const plan = planLocalExchanges({});

    // Assert
    expect(plan.feed).toBe('simulator');
    expect(plan.exchanges.map((e) => [e.exchange, e.simulatorPort, e.collectorPort, e.collectorId, e.symbols])).toEqual([
      ['binance', 9443, 8080, 'local', 'ALL'],
      ['okx', 9444, 8081, 'local-okx', 'ALL'],
      ['bybit', 9445, 8082, 'local-bybit', 'ALL'],
    ]);
    expect(plan.exchanges[1]?.endpoints).toEqual({ OKX_WS_URL: 'ws://127.0.0.1:9444', OKX_REST_URL: 'http://127.0.0.1:9444' });
    expect(plan.exchanges.map((e) => e.readyPath)).toEqual(['/api/v3/ping', '/api/v5/public/time', '/v5/market/time']);
  });

  it('narrows to EXCHANGES, keeping each exchange on its own ports', () => {
    // Act
    const plan = planLocalExchanges({ EXCHANGES: 'bybit', SIMULATOR_PORT: '19000', HTTP_PORT: '18000' });

    // Assert
    expect(plan.exchanges.map((e) => [e.exchange, e.simulatorPort, e.collectorPort])).toEqual([['bybit', 19002, 18002]]);
  });

  it('points FEED=live at the real exchanges, with a modest symbol set and overridable endpoints', () => {
    // Act
    const plan = planLocalExchanges({ FEED: 'live', OKX_WS_URL: 'wss://wsaws.okx.com:8443/ws/v5/public' });

    // Assert
    expect(plan.feed).toBe('live');
    expect(plan.exchanges.every((e) => e.simulatorPort === undefined)).toBe(true);
    expect(plan.exchanges.map((e) => e.endpoints)).toEqual([
      { BINANCE_WS_URL: 'wss://stream.binance.com:9443', BINANCE_REST_URL: 'https://api.binance.com' },
      { OKX_WS_URL: 'wss://wsaws.okx.com:8443/ws/v5/public', OKX_REST_URL: 'https://www.okx.com' },
      { BYBIT_WS_URL: 'wss://stream.bybit.com/v5/public/spot', BYBIT_REST_URL: 'https://api.bybit.com' },
    ]);
    expect(plan.exchanges[0]?.symbols).toMatch(/^BTCUSDT,ETHUSDT,/);
  });

  it.each([
    ['simulator', 'simulator'],
    ['live', 'live'],
    ['binance', 'live'],
    [' LIVE ', 'live'],
  ])('reads FEED=%j as %s', (value, feed) => {
    expect(parseFeed(value)).toBe(feed);
  });

  it.each([
    ['FEED', () => parseFeed('okx')],
    ['EXCHANGES', () => parseExchanges('binance,kraken')],
    ['EXCHANGES', () => parseExchanges(',')],
    ['SIMULATOR_PORT', () => planLocalExchanges({ SIMULATOR_PORT: '65535' })],
  ])('refuses a bad %s, naming it', (variable, act) => {
    expect(act).toThrow(LocalPlanError);
    expect(act).toThrow(new RegExp(`^${variable} must`));
  });

  it('orders EXCHANGES as binance, okx, bybit whatever the order given, without repeats', () => {
    expect(parseExchanges('bybit, OKX,bybit')).toEqual(['okx', 'bybit']);
  });
});
