import { matchRoute, type MatchedRoute } from '../../../../lambdas/api/routes';
import { buildProxyEvent, collectHeaders, LOCAL_READER_ARN, type ProxyEventInput } from '../../../../localstack/api';
import { encodeBody, formatRequestTime, iamUserIdOf, valueMaps } from '../../../../localstack/api/event';

const RECEIVED_AT = Date.parse('2026-01-15T10:20:30.123Z');

function input(method: string, target: string, overrides: Partial<ProxyEventInput> = {}): ProxyEventInput {
  const [path, query = ''] = target.split('?') as [string, string?];
  const match = matchRoute(method, path) as MatchedRoute;
  return {
    gateway: { accountId: '000000000000', apiId: 'localapi00', stage: 'local' },
    route: match.route,
    pathParameters: match.pathParameters,
    method,
    path,
    query,
    headers: collectHeaders(['Host', '127.0.0.1:3000', 'User-Agent', 'curl/7.88.1', 'X-Custom', 'one', 'x-custom', 'two']),
    body: Buffer.alloc(0),
    caller: { accessKeyId: 'AKIALOCALREADER00001', principalArn: LOCAL_READER_ARN },
    sourceIp: '127.0.0.1',
    requestId: 'req-1',
    extendedRequestId: 'ext-1',
    receivedAt: RECEIVED_AT,
    ...overrides,
  };
}

describe('buildProxyEvent', () => {
  it('builds a REST API proxy event with the route template, decoded path parameters and the stage path', () => {
    // Act
    const event = buildProxyEvent(input('GET', '/v1/history/binance/BTCUSDT?interval=1m&limit=5&limit=10'));

    // Assert
    expect(event).toMatchObject({
      resource: '/v1/history/{exchange}/{symbol}',
      path: '/v1/history/binance/BTCUSDT',
      httpMethod: 'GET',
      pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' },
      queryStringParameters: { interval: '1m', limit: '10' },
      multiValueQueryStringParameters: { interval: ['1m'], limit: ['5', '10'] },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
    });
    expect(event.requestContext).toMatchObject({
      accountId: '000000000000',
      apiId: 'localapi00',
      stage: 'local',
      path: '/local/v1/history/binance/BTCUSDT',
      resourcePath: '/v1/history/{exchange}/{symbol}',
      httpMethod: 'GET',
      protocol: 'HTTP/1.1',
      requestId: 'req-1',
      extendedRequestId: 'ext-1',
      requestTimeEpoch: RECEIVED_AT,
      requestTime: '15/Jan/2026:10:20:30 +0000',
      domainName: '127.0.0.1:3000',
    });
    expect(event.requestContext.resourceId).toMatch(/^[0-9a-f]{6}$/);
  });

  it('names the caller as API Gateway does for an IAM user', () => {
    // Act
    const event = buildProxyEvent(input('GET', '/v1/rates'));

    // Assert
    expect(event.requestContext.identity).toMatchObject({
      accessKey: 'AKIALOCALREADER00001',
      accountId: '000000000000',
      userArn: LOCAL_READER_ARN,
      caller: iamUserIdOf(LOCAL_READER_ARN),
      user: iamUserIdOf(LOCAL_READER_ARN),
      sourceIp: '127.0.0.1',
      userAgent: 'curl/7.88.1',
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      apiKey: null,
    });
    expect(iamUserIdOf(LOCAL_READER_ARN)).toMatch(/^AIDA[A-Z2-7]{17}$/);
  });

  it('has null query and path parameters when there are none', () => {
    // Act
    const event = buildProxyEvent(input('GET', '/v1/rates'));

    // Assert
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
    expect(event.pathParameters).toBeNull();
  });

  it('keeps the client spelling of header names, the last value single, every value multi, and adds the forwarding headers', () => {
    // Act
    const event = buildProxyEvent(input('GET', '/v1/rates'));

    // Assert
    expect(event.headers).toMatchObject({ Host: '127.0.0.1:3000', 'X-Custom': 'two', 'X-Forwarded-For': '127.0.0.1', 'X-Forwarded-Proto': 'http' });
    expect(event.multiValueHeaders).toMatchObject({ 'X-Custom': ['one', 'two'], 'User-Agent': ['curl/7.88.1'] });
    expect(event.headers['X-Amzn-Trace-Id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it('decodes path parameters', () => {
    // Act
    const event = buildProxyEvent(input('GET', '/v1/rates/binance/BTC%2DUSDT'));

    // Assert
    expect(event.pathParameters).toEqual({ exchange: 'binance', symbol: 'BTC-USDT' });
    expect(event.path).toBe('/v1/rates/binance/BTC%2DUSDT');
  });

  it('passes a UTF-8 body as text and anything else as base64', () => {
    // Act
    const text = buildProxyEvent(input('PUT', '/v1/symbols/binance/BTCUSDT', { body: Buffer.from('{"enabled":true,"note":"ü"}') }));
    const binary = buildProxyEvent(input('PUT', '/v1/symbols/binance/BTCUSDT', { body: Buffer.from([0xff, 0xfe, 0x00]) }));

    // Assert
    expect(text).toMatchObject({ body: '{"enabled":true,"note":"ü"}', isBase64Encoded: false });
    expect(binary).toMatchObject({ body: '//4A', isBase64Encoded: true });
  });
});

describe('event helpers', () => {
  it('formats requestTime like API Gateway', () => {
    // Act
    const text = formatRequestTime(Date.parse('2015-04-09T02:04:05Z'));

    // Assert
    expect(text).toBe('09/Apr/2015:02:04:05 +0000');
  });

  it('gives null maps for no entries', () => {
    // Act
    const maps = valueMaps([]);

    // Assert
    expect(maps).toEqual({ single: null, multi: null });
  });

  it('gives a null body for an empty one', () => {
    // Act
    const encoded = encodeBody(Buffer.alloc(0));

    // Assert
    expect(encoded).toEqual({ body: null, isBase64Encoded: false });
  });
});
