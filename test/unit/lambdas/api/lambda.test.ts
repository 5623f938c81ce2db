import type { APIGatewayProxyResult, ScheduledEvent } from 'aws-lambda';
import type { connectDependencies as ConnectDependencies } from '../../../../lambdas/api/dependencies';
import type { handler as LambdaHandler } from '../../../../lambdas/api/lambda';
import { createLocalApi } from '../../../../lambdas/api/local';
import type { ApiDependencies } from '../../../../lambdas/api/operations';
import type { ReconcileResult } from '../../../../lambdas/api/reconcile';
import type { Logger } from '../../../../services/shared/logger';
import { ADMIN_ARN, apiEvent } from '../../../support/api-events';

// The real connections are replaced by fakes that behave like a pool after a
// secret rotation: every query is refused with 28P01 until the pool is ended,
// and after that node-postgres refuses to use it at all.
jest.mock('../../../../lambdas/api/dependencies', () => ({ connectDependencies: jest.fn() }));

const REFUSED = () => Object.assign(new Error('password authentication failed for user "mdc"'), { code: '28P01' });
const ENDED = () => new Error('Cannot use a pool after calling end on the pool');

interface Generation {
  deps: ApiDependencies;
  closed: () => number;
}

/** Connections of one build: refusing the credentials when `refused`, answering otherwise. */
function generation(refused: boolean): Generation {
  let closes = 0;
  const answer = <T>(value: T) => jest.fn(async () => {
    if (closes > 0) throw ENDED();
    if (refused) throw REFUSED();
    return value;
  });
  const settings = { persistIntervalMs: null, anomalyThresholdPct: null, staleAfterMs: null, maxStreamsPerConnection: null, version: 3, updatedAt: '2026-01-01T00:00:00.000Z', updatedBy: ADMIN_ARN };
  const deps = {
    configStore: { getSettings: answer(settings), currentCommit: answer({ epoch: 0, version: 3, updatedAt: '2026-01-01T00:00:00.000Z' }) },
    publisher: { publishedCommit: answer({ epoch: 0, version: 3, updatedAt: '2026-01-01T00:00:00.000Z' }) },
    // No collector heartbeats (scanStream yields batches of keys).
    redis: { scanStream: () => [] },
    metrics: { addMetric: () => undefined },
    close: async () => {
      closes += 1;
    },
  } as unknown as ApiDependencies;
  return { deps, closed: () => closes };
}

const SCHEDULED = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} } as unknown as ScheduledEvent;

describe('the config API Lambda entry point', () => {
  const saved = { ...process.env };
  let handler: typeof LambdaHandler;
  let connect: jest.MockedFunction<typeof ConnectDependencies>;
  let stale: Generation;
  let fresh: Generation;

  beforeEach(() => {
    process.env = {
      ...saved,
      API_ADMIN_PRINCIPALS: ADMIN_ARN,
      DATABASE_URL: 'postgres://mdc:rotated@127.0.0.1:1/mdc',
      REDIS_URL: 'redis://127.0.0.1:1/0',
      POWERTOOLS_METRICS_DISABLED: 'true',
      LOG_LEVEL: 'SILENT',
    };
    stale = generation(true);
    fresh = generation(false);
    jest.isolateModules(() => {
      // The module keeps its runtime for the container's life: a fresh registry per test is a fresh container.
      connect = (jest.requireMock('../../../../lambdas/api/dependencies') as { connectDependencies: jest.MockedFunction<typeof ConnectDependencies> }).connectDependencies;
      handler = (jest.requireActual('../../../../lambdas/api/lambda') as { handler: typeof LambdaHandler }).handler;
    });
    connect.mockReset();
    // The fakes record into the Lambda's own metrics, as the real connections do.
    const built = (g: Generation) => (options: Parameters<typeof ConnectDependencies>[0]) => ({ ...g.deps, metrics: options.metrics }) as ReturnType<typeof ConnectDependencies>;
    connect.mockImplementationOnce(built(stale)).mockImplementationOnce(built(fresh));
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('answers the request after a refused password with new connections instead of the ended pool', async () => {
    // Act
    const first = (await handler(apiEvent({ method: 'GET', path: '/v1/settings' }))) as APIGatewayProxyResult;
    const second = (await handler(apiEvent({ method: 'GET', path: '/v1/settings' }))) as APIGatewayProxyResult;

    // Assert
    expect([first.statusCode, second.statusCode]).toEqual([503, 200]);
    expect(connect).toHaveBeenCalledTimes(2);
    expect(stale.closed()).toBe(1);
    expect(fresh.closed()).toBe(0);
  });

  it('reconciles on the next schedule after a refused password, and requests use the same new connections', async () => {
    // Act
    const failed = await handler(SCHEDULED).then(
      () => undefined,
      (error: unknown) => error,
    );
    const reconciled = (await handler(SCHEDULED)) as ReconcileResult;
    const request = (await handler(apiEvent({ method: 'GET', path: '/v1/settings' }))) as APIGatewayProxyResult;

    // Assert
    expect(failed).toMatchObject({ code: '28P01' });
    expect(reconciled).toEqual({ databaseVersion: 3, databaseEpoch: 0, publishedVersion: 3, publishedEpoch: 0, republished: false, diverged: false, collectorsDiverged: [] });
    expect(request.statusCode).toBe(200);
    expect(connect).toHaveBeenCalledTimes(2);
    expect(stale.closed()).toBe(1);
  });
});

describe('createLocalApi', () => {
  it('rebuilds its connections after a refused password, like the Lambda', async () => {
    // Prepare
    const stale = generation(true);
    const fresh = generation(false);
    const connect = jest.fn().mockReturnValueOnce(stale.deps).mockReturnValueOnce(fresh.deps);
    const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() } as unknown as Logger;
    const api = await createLocalApi({ databaseUrl: 'postgres://mdc:rotated@127.0.0.1:1/mdc', redisUrl: 'redis://127.0.0.1:1/0', readerArns: [], adminArns: [ADMIN_ARN], logger, connect });

    // Act
    const first = await api.handler(apiEvent({ method: 'GET', path: '/v1/settings' }));
    const second = await api.handler(apiEvent({ method: 'GET', path: '/v1/settings' }));
    await api.close();

    // Assert
    expect([first.statusCode, second.statusCode]).toEqual([503, 200]);
    expect(connect).toHaveBeenCalledTimes(2);
    expect([stale.closed(), fresh.closed()]).toEqual([1, 1]);
  });
});
