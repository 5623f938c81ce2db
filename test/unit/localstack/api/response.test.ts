import { GatewayError } from '../../../../localstack/api';
import { gatewayErrorResponse, toProxyResponse } from '../../../../localstack/api/response';

function thrown(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('no GatewayError');
}

describe('toProxyResponse', () => {
  it('merges multiValueHeaders and headers, the multi-value list winning, and drops framing headers', () => {
    // Act
    const response = toProxyResponse({
      statusCode: 201,
      headers: { ETag: '"3"', 'Set-Cookie': 'ignored=1', 'Content-Length': '999' },
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
      body: '{"ok":true}',
    });

    // Assert
    expect(response.statusCode).toBe(201);
    expect(response.headers).toEqual({ 'Set-Cookie': ['a=1', 'b=2'], ETag: '"3"', 'Content-Type': 'application/json' });
    expect(response.body.toString()).toBe('{"ok":true}');
  });

  it('decodes a base64 body and keeps the handler Content-Type', () => {
    // Act
    const response = toProxyResponse({ statusCode: 200, headers: { 'content-type': 'application/octet-stream' }, body: '//4A', isBase64Encoded: true });

    // Assert
    expect([...response.body]).toEqual([0xff, 0xfe, 0x00]);
    expect(response.headers).toEqual({ 'content-type': 'application/octet-stream' });
  });

  it('answers a bodiless result with an empty body', () => {
    // Act
    const response = toProxyResponse({ statusCode: 304 });

    // Assert
    expect(response.body).toHaveLength(0);
  });

  it.each([
    ['not an object', 'ok'],
    ['no statusCode', { body: '' }],
    ['a statusCode out of range', { statusCode: 99 }],
    ['a body that is not a string', { statusCode: 200, body: { ok: true } }],
    ['a header that is not a string', { statusCode: 200, headers: { a: { b: 1 } } }],
    ['multiValueHeaders that are not lists', { statusCode: 200, multiValueHeaders: { a: 'b' } }],
  ])('refuses a malformed result (%s) as a 502, as API Gateway does', (_what, result) => {
    // Act
    const error = thrown(() => toProxyResponse(result));

    // Assert
    expect(error).toMatchObject({ code: 'INTERNAL_ERROR', statusCode: 502, message: 'Internal server error' });
  });
});

describe('gatewayErrorResponse', () => {
  it('writes the gateway response in the API error shape', () => {
    // Act
    const response = gatewayErrorResponse(new GatewayError('ACCESS_DENIED', 'User: x is not authorized'));

    // Assert
    expect(response.statusCode).toBe(403);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'AccessDeniedException' });
    expect(JSON.parse(response.body.toString())).toEqual({ error: { code: 'ACCESS_DENIED', message: 'User: x is not authorized' } });
  });
});
