import { z } from 'zod';
import { ApiError } from '../../../../lambdas/api/errors';
import { errorResponse, etagOf, issuesToDetails, jsonResponse, normalizeHeaders, notModified, parseEntityTags, parseWith, readJsonBody, singleValueQuery } from '../../../../lambdas/api/http';
import { thrownApiError } from './helpers';

const JSON_HEADERS = new Map([['content-type', 'application/json']]);

describe('normalizeHeaders', () => {
  it('keys headers by lower-case name', () => {
    // Act
    const headers = normalizeHeaders({ headers: { 'Content-Type': 'application/json', 'IF-MATCH': '"3"' }, multiValueHeaders: {} });

    // Assert
    expect([...headers]).toEqual([
      ['content-type', 'application/json'],
      ['if-match', '"3"'],
    ]);
  });

  it('joins the values of a repeated header with ", "', () => {
    // Act
    const headers = normalizeHeaders({ headers: { 'If-Match': '"2"' }, multiValueHeaders: { 'If-Match': ['"1"', '"2"'] } });

    // Assert
    expect(headers.get('if-match')).toBe('"1", "2"');
  });

  it('takes a header present only in the single-value map', () => {
    // Act
    const headers = normalizeHeaders({ headers: { 'X-Only': 'single' }, multiValueHeaders: { Accept: ['application/json'] } });

    // Assert
    expect(headers.get('x-only')).toBe('single');
    expect(headers.get('accept')).toBe('application/json');
  });

  it('skips empty value lists and copes with neither map', () => {
    // Act
    const fromEmptyList = normalizeHeaders({ headers: {}, multiValueHeaders: { 'X-Empty': [] } });
    const fromNothing = normalizeHeaders({ headers: null as unknown as Record<string, string>, multiValueHeaders: null as unknown as Record<string, string[]> });

    // Assert
    expect(fromEmptyList.size).toBe(0);
    expect(fromNothing.size).toBe(0);
  });
});

describe('singleValueQuery', () => {
  it('reads single values from the multi-value map', () => {
    // Act
    const query = singleValueQuery({ queryStringParameters: { limit: '10' }, multiValueQueryStringParameters: { limit: ['10'], interval: ['1m'] } });

    // Assert
    expect(query).toEqual({ limit: '10', interval: '1m' });
  });

  it('falls back to the single-value map', () => {
    // Act
    const query = singleValueQuery({ queryStringParameters: { exchange: 'binance' }, multiValueQueryStringParameters: null });

    // Assert
    expect(query).toEqual({ exchange: 'binance' });
  });

  it('gives an empty query without parameters', () => {
    // Act
    const query = singleValueQuery({ queryStringParameters: null, multiValueQueryStringParameters: null });

    // Assert
    expect(query).toEqual({});
  });

  it('refuses a parameter given twice with a 400 naming query.<name>', () => {
    // Act
    const error = thrownApiError(() => singleValueQuery({ queryStringParameters: { x: '2' }, multiValueQueryStringParameters: { x: ['1', '2'], y: ['3'] } }));

    // Assert
    expect(error.status).toBe(400);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([{ field: 'query.x', reason: 'given more than once' }]);
  });

  it('names every repeated parameter', () => {
    // Act
    const error = thrownApiError(() => singleValueQuery({ queryStringParameters: null, multiValueQueryStringParameters: { a: ['1', '1'], b: ['2', '3', '4'] } }));

    // Assert
    expect(error.details?.map((detail) => detail.field)).toEqual(['query.a', 'query.b']);
  });
});

describe('issuesToDetails', () => {
  const schema = z.strictObject({ enabled: z.boolean(), nested: z.strictObject({ n: z.number() }).optional() });

  function errorOf(input: unknown): z.ZodError {
    const result = schema.safeParse(input);
    if (result.success) throw new Error('expected the input to be refused');
    return result.error;
  }

  it('gives one detail per unknown key, named <location>.<key>', () => {
    // Act
    const details = issuesToDetails('body', errorOf({ enabled: true, enable: true, extra: 1 }));

    // Assert
    expect(details).toEqual([
      { field: 'body.enable', reason: 'unknown field' },
      { field: 'body.extra', reason: 'unknown field' },
    ]);
  });

  it('names nested fields and unknown nested keys by their path', () => {
    // Act
    const details = issuesToDetails('body', errorOf({ enabled: true, nested: { n: 'one', m: 2 } }));

    // Assert
    expect(details).toEqual(
      expect.arrayContaining([
        { field: 'body.nested.n', reason: expect.any(String) },
        { field: 'body.nested.m', reason: 'unknown field' },
      ]),
    );
    expect(details).toHaveLength(2);
  });

  it('names the location alone for a problem with the whole input', () => {
    // Act
    const details = issuesToDetails('query', errorOf('not an object'));

    // Assert
    expect(details).toEqual([{ field: 'query', reason: expect.any(String) }]);
  });

  it('keeps the schema message as the reason', () => {
    // Prepare
    const result = z.strictObject({ limit: z.string().regex(/^[0-9]+$/, 'a whole number') }).safeParse({ limit: 'x' });
    if (result.success) throw new Error('expected the input to be refused');

    // Act
    const details = issuesToDetails('query', result.error);

    // Assert
    expect(details).toEqual([{ field: 'query.limit', reason: 'a whole number' }]);
  });
});

describe('parseWith', () => {
  it('returns the parsed value', () => {
    // Act
    const value = parseWith(z.strictObject({ limit: z.string().transform(Number) }), 'query', { limit: '7' });

    // Assert
    expect(value).toEqual({ limit: 7 });
  });

  it('throws a 400 VALIDATION_FAILED with the details', () => {
    // Act
    const error = thrownApiError(() => parseWith(z.strictObject({}), 'path', { symbol: 'x' }));

    // Assert
    expect(error.status).toBe(400);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([{ field: 'path.symbol', reason: 'unknown field' }]);
    expect(error.message).toBe('Invalid request: path.symbol: unknown field');
  });
});

describe('readJsonBody', () => {
  it('parses a JSON body', () => {
    // Act
    const body = readJsonBody({ body: '{"enabled":true}', isBase64Encoded: false }, JSON_HEADERS, 1024);

    // Assert
    expect(body).toEqual({ enabled: true });
  });

  it('decodes a base64 body', () => {
    // Prepare
    const encoded = Buffer.from('{"persistIntervalMs":500}', 'utf8').toString('base64');

    // Act
    const body = readJsonBody({ body: encoded, isBase64Encoded: true }, JSON_HEADERS, 1024);

    // Assert
    expect(body).toEqual({ persistIntervalMs: 500 });
  });

  it.each([
    ['application/json; charset=utf-8'],
    ['application/json;charset=UTF-8'],
    ['Application/JSON'],
    ['application/json ; charset=utf-8'],
  ])('accepts Content-Type %s', (contentType) => {
    // Act
    const body = readJsonBody({ body: '[1]', isBase64Encoded: false }, new Map([['content-type', contentType]]), 1024);

    // Assert
    expect(body).toEqual([1]);
  });

  it.each([
    ['a null body', null],
    ['an empty body', ''],
  ])('refuses %s with a 400 naming the body', (_label, raw) => {
    // Act
    const error = thrownApiError(() => readJsonBody({ body: raw, isBase64Encoded: false }, JSON_HEADERS, 1024));

    // Assert
    expect(error.status).toBe(400);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([{ field: 'body', reason: 'a JSON body is required' }]);
  });

  it('refuses a body over the limit with 413 PAYLOAD_TOO_LARGE', () => {
    // Prepare
    const raw = JSON.stringify({ padding: 'x'.repeat(100) });

    // Act
    const error = thrownApiError(() => readJsonBody({ body: raw, isBase64Encoded: false }, JSON_HEADERS, 64));

    // Assert
    expect(error.status).toBe(413);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('accepts a body of exactly the limit and counts bytes, not characters', () => {
    // Prepare: 'é' is two bytes in UTF-8.
    const raw = '"é"';

    // Act
    const atLimit = readJsonBody({ body: raw, isBase64Encoded: false }, JSON_HEADERS, 4);
    const error = thrownApiError(() => readJsonBody({ body: raw, isBase64Encoded: false }, JSON_HEADERS, 3));

    // Assert
    expect(atLimit).toBe('é');
    expect(error.status).toBe(413);
  });

  it('measures a base64 body after decoding it', () => {
    // Prepare: 8 bytes of JSON are 12 characters of base64.
    const encoded = Buffer.from('{"a":12}', 'utf8').toString('base64');

    // Act
    const body = readJsonBody({ body: encoded, isBase64Encoded: true }, JSON_HEADERS, 8);

    // Assert
    expect(encoded.length).toBeGreaterThan(8);
    expect(body).toEqual({ a: 12 });
  });

  it.each([
    ['no Content-Type', undefined],
    ['text/plain', 'text/plain'],
    ['application/jsonp', 'application/jsonp'],
    ['application/json-patch+json', 'application/json-patch+json'],
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
  ])('refuses %s with 415 UNSUPPORTED_MEDIA_TYPE', (_label, contentType) => {
    // Prepare
    const headers = new Map<string, string>(contentType === undefined ? [] : [['content-type', contentType]]);

    // Act
    const error = thrownApiError(() => readJsonBody({ body: '{}', isBase64Encoded: false }, headers, 1024));

    // Assert
    expect(error.status).toBe(415);
    expect(error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it.each([['{"enabled":'], ['not json'], ["{'enabled':true}"]])('refuses %s with 400 INVALID_JSON', (raw) => {
    // Act
    const error = thrownApiError(() => readJsonBody({ body: raw, isBase64Encoded: false }, JSON_HEADERS, 1024));

    // Assert
    expect(error.status).toBe(400);
    expect(error.code).toBe('INVALID_JSON');
    expect(error.details).toEqual([{ field: 'body', reason: 'not valid JSON' }]);
  });
});

describe('parseEntityTags', () => {
  it.each([
    ['"5"', [5]],
    ['W/"5"', [5]],
    ['"0"', [0]],
    ['"1", W/"2" ,"3"', [1, 2, 3]],
    [' "42" ', [42]],
  ])('reads %s as versions', (header, expected) => {
    // Act
    const tags = parseEntityTags(header, 'if-match');

    // Assert
    expect(tags).toEqual(expected);
  });

  it.each([['*'], [' * ']])('reads %s as any', (header) => {
    // Act
    const tags = parseEntityTags(header, 'if-none-match');

    // Assert
    expect(tags).toBe('*');
  });

  it('gives undefined without the header', () => {
    // Act
    const tags = parseEntityTags(undefined, 'if-match');

    // Assert
    expect(tags).toBeUndefined();
  });

  it.each([['5'], ['"abc"'], ['"5'], ['5"'], [''], ['"-1"'], ['"1.5"'], ['w/"5"'], ['"5",'], ['*, "5"'], ['"1234567890123456789"']])('refuses %p with a 400 naming header.if-match', (header) => {
    // Act
    const error = thrownApiError(() => parseEntityTags(header, 'if-match'));

    // Assert
    expect(error.status).toBe(400);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([{ field: 'header.if-match', reason: expect.any(String) }]);
  });

  it('names header.if-none-match for that header', () => {
    // Act
    const error = thrownApiError(() => parseEntityTags('garbage', 'if-none-match'));

    // Assert
    expect(error.details?.[0]?.field).toBe('header.if-none-match');
  });
});

describe('responses', () => {
  it('quotes a version as an ETag', () => {
    // Act
    const etag = etagOf(12);

    // Assert
    expect(etag).toBe('"12"');
    expect(parseEntityTags(etag, 'if-match')).toEqual([12]);
  });

  it('answers JSON that no cache may keep, with extra headers', () => {
    // Act
    const response = jsonResponse(201, { a: 1 }, { ETag: '"1"' });

    // Assert
    expect(response).toEqual({
      statusCode: 201,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ETag: '"1"' },
      body: '{"a":1}',
    });
  });

  it('answers 304 with the ETag and no body', () => {
    // Act
    const response = notModified('"3"');

    // Assert
    expect(response).toEqual({ statusCode: 304, headers: { ETag: '"3"', 'Cache-Control': 'no-store' }, body: '' });
  });

  it('shapes an error as {"error":{"code","message","details"}}', () => {
    // Prepare
    const withDetails = new ApiError(400, 'VALIDATION_FAILED', 'bad', { details: [{ field: 'body.x', reason: 'unknown field' }] });
    const without = new ApiError(404, 'NOT_FOUND', 'gone');

    // Act
    const first = errorResponse(withDetails, { 'Retry-After': '1' });
    const second = errorResponse(without);

    // Assert
    expect(first.statusCode).toBe(400);
    expect(first.headers?.['Retry-After']).toBe('1');
    expect(JSON.parse(first.body)).toEqual({ error: { code: 'VALIDATION_FAILED', message: 'bad', details: [{ field: 'body.x', reason: 'unknown field' }] } });
    expect(second.statusCode).toBe(404);
    expect(JSON.parse(second.body)).toEqual({ error: { code: 'NOT_FOUND', message: 'gone' } });
  });
});
