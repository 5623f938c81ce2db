import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';

/**
 * Integration tests run against the services `npm test` ensures (Redis,
 * PostgreSQL, the SQS endpoint). They may be shared with other software on the
 * machine, so every test file works in a database and Redis db index of its own
 * and removes them afterwards.
 */

const redisBaseUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const databaseBaseUrl = () => process.env.DATABASE_URL ?? 'postgres://mdc:mdc@127.0.0.1:5432/mdc';
export const sqsEndpoint = () => process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566';

const HINT = 'Run the suite with `npm test`, which starts Redis, PostgreSQL and the SQS endpoint when they are not running.';

/**
 * Redis db index for this jest worker: TEST_REDIS_DB_BASE (default 8) plus the
 * worker id, so parallel workers never share keys. The index is flushed before
 * and after use; choose another base if something else on this machine uses it.
 */
export function testRedisDb(): number {
  return Number(process.env.TEST_REDIS_DB_BASE ?? 8) + Number(process.env.JEST_WORKER_ID ?? 1);
}

export function testRedisUrl(): string {
  const url = new URL(redisBaseUrl());
  url.pathname = `/${testRedisDb()}`;
  return url.toString();
}

export interface TestRedis {
  url: string;
  client: Redis;
  /** Flushes this worker's db index and disconnects. */
  cleanup(): Promise<void>;
}

export async function openTestRedis(): Promise<TestRedis> {
  const url = testRedisUrl();
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Redis at ${url} does not answer. ${HINT}`, { cause: error });
  }
  await client.flushdb();
  return {
    url,
    client,
    async cleanup() {
      await client.flushdb();
      client.disconnect();
    },
  };
}

export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'mdc_test'): Promise<TestDatabase> {
  const base = new URL(databaseBaseUrl());
  const name = `${prefix}_${process.env.JEST_WORKER_ID ?? 0}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: Object.assign(new URL(base), { pathname: '/postgres' }).toString() });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL at ${base.host} does not answer. ${HINT}`, { cause: error });
  }
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = Object.assign(new URL(base), { pathname: `/${name}` }).toString();
  return {
    url,
    name,
    async drop() {
      const client = new Client({ connectionString: Object.assign(new URL(base), { pathname: '/postgres' }).toString() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** One query on a short-lived connection: for assertions in tests, not for load. */
export async function queryOnce<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
