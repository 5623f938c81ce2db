export { createTestDatabase, openTestRedis, queryOnce, sqsEndpoint, testRedisDb, testRedisUrl } from './services';
export type { TestDatabase, TestRedis } from './services';
export { describeWithSharedData, SHARED_DATA_DIR, sharedDataAvailable, sharedDataFile } from './shared-data';
export { TcpProxy } from './tcp-proxy';
export { ADMIN_ARN, apiEvent, LOCAL_ACCOUNT, READER_ARN } from './api-events';
export type { ApiEventInput } from './api-events';
export { startTestIngest } from './ingest-runner';
export type { TestIngest } from './ingest-runner';
export { e2eCollectorEnv } from './e2e-collector';
