import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { join } from 'node:path';
import { LocalServiceError } from './errors';
import { ManagedProcess } from './process';
import { httpOk, isPortOpen } from './probe';
import type { EnsuredService } from './redis';

/**
 * The SQS endpoint for local runs and CI is fauxqs (an in-memory SQS emulator
 * from npm, LocalStack's endpoint URL and port); a LocalStack that already
 * answers on the same URL is reused instead.
 */
export async function ensureSqsEndpoint(endpoint: string, repoRoot: string, stateDir: string): Promise<EnsuredService> {
  const url = new URL(endpoint);
  const health = [new URL('/health', url).toString(), new URL('/_localstack/health', url).toString()];
  for (const probe of health) {
    if (await httpOk(probe)) return { name: 'sqs', url: endpoint, origin: 'reused (already running)' };
  }
  const port = Number(url.port || 4566);
  if (await isPortOpen(url.hostname, port)) {
    throw new LocalServiceError(`Something listens on ${url.hostname}:${port} but is not an SQS endpoint (AWS_ENDPOINT_URL=${endpoint}); stop it or set AWS_ENDPOINT_URL`);
  }
  const logFile = join(stateDir, 'fauxqs.log');
  const process = new ManagedProcess({
    name: 'fauxqs',
    command: globalThis.process.execPath,
    args: [join(repoRoot, 'node_modules', 'fauxqs', 'dist', 'cli.js')],
    env: { ...globalThis.process.env, FAUXQS_PORT: String(port), FAUXQS_LOGGER: 'false' },
    logFile,
  });
  await process.waitUntilReady(() => httpOk(health[0]!), 20_000, logFile);
  return { name: 'sqs', url: endpoint, stop: () => process.stop(), origin: `started fauxqs (log: ${logFile})` };
}

export interface DrainOptions {
  client: SQSClient;
  queueUrl: string;
  timeoutMs: number;
  pollMs?: number;
}

/**
 * Waits until the queue holds no message, visible or in flight, or `timeoutMs`
 * passed; resolves with whether it drained. Lets the ingest runner store the
 * batches a stopping collector sent last before it is stopped itself.
 */
export async function waitForQueueDrained(options: DrainOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const { Attributes: attributes = {} } = await options.client.send(
      new GetQueueAttributesCommand({ QueueUrl: options.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    if (Number(attributes.ApproximateNumberOfMessages ?? 0) === 0 && Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}
