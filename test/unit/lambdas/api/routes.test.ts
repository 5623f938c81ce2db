import { existsSync, readFileSync } from 'node:fs';
import { OPENAPI_FILE, renderOpenApiFile } from '../../../../lambdas/api/docs-cli';
import { createOpenApiDocument } from '../../../../lambdas/api/openapi';
import { OPERATIONS } from '../../../../lambdas/api/operations';
import { API_PREFIX, findRoute, matchRoute, routeArnPath, ROUTES, type MatchedRoute } from '../../../../lambdas/api/routes';

interface OpenApiOperation {
  operationId: string;
  requestBody?: { required?: boolean };
  responses?: Record<string, unknown>;
  'x-access'?: string;
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
}

function matched(result: ReturnType<typeof matchRoute>): MatchedRoute {
  if (result === undefined || result === 'method-not-allowed') throw new Error(`expected a match, got ${String(result)}`);
  return result;
}

describe('ROUTES', () => {
  it('puts every route under /v1/', () => {
    // Prepare
    const paths = ROUTES.map((route) => route.path);

    // Act
    const outside = paths.filter((path) => !path.startsWith(`${API_PREFIX}/`));

    // Assert
    expect(API_PREFIX).toBe('/v1');
    expect(paths.length).toBeGreaterThan(0);
    expect(outside).toEqual([]);
  });

  it('has each (method, path) pair once', () => {
    // Prepare
    const keys = ROUTES.map((route) => `${route.method} ${route.path}`);

    // Act
    const duplicates = keys.filter((key, index) => keys.indexOf(key) !== index);

    // Assert
    expect(duplicates).toEqual([]);
  });

  it('has each operationId once', () => {
    // Prepare
    const ids = ROUTES.map((route) => route.operationId);

    // Act
    const duplicates = ids.filter((id, index) => ids.indexOf(id) !== index);

    // Assert
    expect(duplicates).toEqual([]);
  });

  it('has an implementation in OPERATIONS for every operationId, and a route for every operation', () => {
    // Prepare
    const routed = ROUTES.map((route) => route.operationId).sort();

    // Act
    const implemented = Object.keys(OPERATIONS).sort();

    // Assert
    expect(implemented).toEqual(routed);
    for (const id of routed) expect(typeof OPERATIONS[id]).toBe('function');
  });

  it('gives write access exactly to the methods that change something', () => {
    // Prepare: issuing a stream token stores nothing, so it is a reader's POST
    const storesNothing = new Set(['createStreamToken']);
    const accessByMethod = ROUTES.map((route) => [route.method === 'GET' || storesNothing.has(route.operationId), route.access]);

    // Act
    const inconsistent = accessByMethod.filter(([changesNothing, access]) => changesNothing !== (access === 'read'));

    // Assert
    expect(inconsistent).toEqual([]);
  });

  it('declares path parameters exactly on the routes whose path has placeholders', () => {
    // Prepare
    const routes = ROUTES.map((route) => ({ path: route.path, placeholders: route.path.includes('{'), schema: route.pathParams !== undefined }));

    // Act
    const inconsistent = routes.filter((route) => route.placeholders !== route.schema);

    // Assert
    expect(inconsistent).toEqual([]);
  });
});

describe('findRoute', () => {
  it('finds a route by method and API Gateway resource', () => {
    // Act
    const route = findRoute('PUT', '/v1/symbols/{exchange}/{symbol}');

    // Assert
    expect(route?.operationId).toBe('putSymbol');
  });

  it('accepts a lower-case method', () => {
    // Act
    const route = findRoute('patch', '/v1/settings');

    // Assert
    expect(route?.operationId).toBe('patchSettings');
  });

  it.each([
    ['an unknown method on a known resource', 'POST', '/v1/settings'],
    ['an unknown resource', 'GET', '/v1/nothing'],
    ['a concrete path instead of the resource', 'GET', '/v1/symbols/binance/BTCUSDT'],
    ['a resource with a trailing slash', 'GET', '/v1/settings/'],
    ['a resource without the version prefix', 'GET', '/settings'],
  ])('returns undefined for %s', (_label, method, resource) => {
    // Act
    const route = findRoute(method, resource);

    // Assert
    expect(route).toBeUndefined();
  });

  it('finds every route of the table', () => {
    // Act
    const found = ROUTES.map((route) => findRoute(route.method, route.path));

    // Assert
    expect(found).toEqual([...ROUTES]);
  });
});

describe('matchRoute', () => {
  it('matches a literal path', () => {
    // Act
    const result = matched(matchRoute('GET', '/v1/settings'));

    // Assert
    expect(result.route.operationId).toBe('getSettings');
    expect(result.pathParameters).toEqual({});
  });

  it('picks the route of the method among those with the same path', () => {
    // Act
    const get = matched(matchRoute('GET', '/v1/symbols/binance/BTCUSDT'));
    const put = matched(matchRoute('put', '/v1/symbols/binance/BTCUSDT'));
    const del = matched(matchRoute('DELETE', '/v1/symbols/binance/BTCUSDT'));

    // Assert
    expect([get.route.operationId, put.route.operationId, del.route.operationId]).toEqual(['getSymbol', 'putSymbol', 'deleteSymbol']);
  });

  it('binds parameter segments by name', () => {
    // Act
    const result = matched(matchRoute('GET', '/v1/history/binance/ETHUSDT'));

    // Assert
    expect(result.route.operationId).toBe('getHistory');
    expect(result.pathParameters).toEqual({ exchange: 'binance', symbol: 'ETHUSDT' });
  });

  it('URL-decodes parameter segments', () => {
    // Act
    const result = matched(matchRoute('GET', '/v1/rates/bin%61nce/BTC%2FUSDT'));

    // Assert
    expect(result.pathParameters).toEqual({ exchange: 'binance', symbol: 'BTC/USDT' });
  });

  it('does not match a parameter segment that is not valid percent-encoding', () => {
    // Act
    const result = matchRoute('GET', '/v1/rates/binance/%E0%A4%A');

    // Assert
    expect(result).toBeUndefined();
  });

  it('answers method-not-allowed for a known path with another method', () => {
    // Act
    const onLiteral = matchRoute('POST', '/v1/settings');
    const onParameters = matchRoute('PATCH', '/v1/symbols/binance/BTCUSDT');

    // Assert
    expect(onLiteral).toBe('method-not-allowed');
    expect(onParameters).toBe('method-not-allowed');
  });

  it.each([
    ['an unknown path', '/v1/nothing'],
    ['an empty parameter segment', '/v1/symbols/binance/'],
    ['two empty parameter segments', '/v1/symbols//'],
    ['a missing segment', '/v1/symbols/binance'],
    ['an extra segment', '/v1/symbols/binance/BTCUSDT/extra'],
    ['a trailing slash on a literal path', '/v1/settings/'],
    ['a trailing slash after parameters', '/v1/rates/binance/BTCUSDT/'],
    ['another version', '/v2/settings'],
    ['a literal segment of another case', '/V1/settings'],
    ['the root', '/'],
    ['an empty path', ''],
  ])('does not match %s', (_label, path) => {
    // Act
    const result = matchRoute('GET', path);

    // Assert
    expect(result).toBeUndefined();
  });

  it('matches every route of the table with its own placeholders filled in', () => {
    // Prepare
    const concrete = ROUTES.map((route) => ({ route, path: route.path.replace('{exchange}', 'binance').replace('{symbol}', 'BTCUSDT') }));

    // Act
    const results = concrete.map(({ route, path }) => matchRoute(route.method, path));

    // Assert
    results.forEach((result, i) => expect(matched(result).route).toBe(concrete[i]!.route));
  });
});

describe('routeArnPath', () => {
  it.each([
    ['/v1/symbols/{exchange}/{symbol}', '/v1/symbols/*/*'],
    ['/v1/settings', '/v1/settings'],
    ['/v1/history/{exchange}/{symbol}', '/v1/history/*/*'],
    ['/v1/openapi.json', '/v1/openapi.json'],
  ])('turns %s into %s', (path, expected) => {
    // Act
    const arnPath = routeArnPath(path);

    // Assert
    expect(arnPath).toBe(expected);
  });
});

describe('docs/openapi.json', () => {
  it('is what `npm run docs` generates from the route table and schemas', () => {
    // Prepare
    const rendered = renderOpenApiFile();

    // Act
    const committed = existsSync(OPENAPI_FILE) ? readFileSync(OPENAPI_FILE, 'utf8') : undefined;
    const verdict = committed === undefined ? 'docs/openapi.json is missing: run npm run docs' : committed === rendered ? 'up to date' : 'docs/openapi.json is stale: run npm run docs';

    // Assert
    expect(verdict).toBe('up to date');
  });

  describe('the generated document', () => {
    const document = createOpenApiDocument() as unknown as OpenApiDocument;

    it('is OpenAPI 3.1', () => {
      // Assert
      expect(document.openapi).toBe('3.1.0');
    });

    it('has exactly the paths and methods of the route table', () => {
      // Prepare
      const expected = ROUTES.map((route) => `${route.method} ${route.path}`).sort();

      // Act
      const documented = Object.entries(document.paths)
        .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
        .sort();

      // Assert
      expect(documented).toEqual(expected);
    });

    it('names each operation after its route and documents its access', () => {
      // Act
      const operations = ROUTES.map((route) => document.paths[route.path]?.[route.method.toLowerCase()]);

      // Assert
      operations.forEach((operation, i) => {
        expect(operation?.operationId).toBe(ROUTES[i]!.operationId);
        expect(operation?.['x-access']).toBe(ROUTES[i]!.access);
      });
    });

    it('gives a write operation a requestBody exactly when its route has a body schema', () => {
      // Prepare
      const writes = ROUTES.filter((route) => route.access === 'write');

      // Act
      const mismatches = writes.filter((route) => (document.paths[route.path]?.[route.method.toLowerCase()]?.requestBody !== undefined) !== (route.body !== undefined));

      // Assert
      expect(writes.length).toBeGreaterThan(0);
      expect(mismatches.map((route) => route.operationId)).toEqual([]);
    });

    it('gives no read operation a requestBody but the stream token request, whose body is optional', () => {
      // Act
      const withBody = ROUTES.filter((route) => route.access === 'read' && document.paths[route.path]?.[route.method.toLowerCase()]?.requestBody !== undefined);

      // Assert
      expect(withBody.map((route) => route.operationId)).toEqual(['createStreamToken']);
      expect(document.paths['/v1/stream-tokens']?.post?.requestBody?.required).toBe(false);
    });

    it('documents the stream token route as 201 only, with its 503', () => {
      // Act
      const responses = Object.keys(document.paths['/v1/stream-tokens']?.post?.responses ?? {});

      // Assert
      expect(responses).toEqual(expect.arrayContaining(['201', '503']));
      expect(responses).not.toContain('200');
    });
  });
});
