import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface SqsClientOptions {
  /** AWS_ENDPOINT_URL of a local emulator (fauxqs, LocalStack); absent for real SQS. */
  endpoint?: string;
  region?: string;
}

/**
 * An SQS client for real SQS or a local emulator. With an explicit endpoint the
 * SDK sends every request there, whatever host the QueueUrl names: fauxqs
 * returns URLs like http://sqs.us-east-1.localhost:4566/000000000000/name whose
 * host does not resolve on every machine, and it looks queues up by that exact
 * URL, so the URL must be kept as returned and only the endpoint decides where
 * requests go. Emulators accept any credentials; dummy ones are used when none
 * are configured so a fresh machine needs no AWS setup.
 */
export function createSqsClient(options: SqsClientOptions = {}): SQSClient {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const localCredentials = endpoint && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE ? { accessKeyId: 'test', secretAccessKey: 'test' } : undefined;
  return new SQSClient({ region, ...(endpoint ? { endpoint } : {}), ...(localCredentials ? { credentials: localCredentials } : {}) });
}

export interface EnsureQueuesOptions extends SqsClientOptions {
  queueName: string;
  dlqName: string;
  maxReceiveCount: number;
  /** Seconds; the Lambda event source mapping needs it at least 6 times the function timeout. Default 180. */
  visibilityTimeoutSeconds?: number;
  client?: SQSClient;
}

export interface EnsuredQueues {
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

/**
 * Creates the history queue and its DLQ, wired by a RedrivePolicy, and returns
 * their URLs as the endpoint reports them (use them with a client made by
 * createSqsClient). Safe to run again: existing queues are kept and their
 * attributes set again, since CreateQueue refuses an existing name with other attributes.
 */
export async function ensureQueues(options: EnsureQueuesOptions): Promise<EnsuredQueues> {
  const client = options.client ?? createSqsClient(options);
  try {
    const dlqUrl = await createOrGet(client, options.dlqName, { MessageRetentionPeriod: String(14 * 24 * 3600) });
    const dlqArn = await queueArn(client, dlqUrl);
    const queueUrl = await createOrGet(client, options.queueName, {
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 180),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount }),
    });
    return { queueUrl, queueArn: await queueArn(client, queueUrl), dlqUrl, dlqArn };
  } finally {
    if (!options.client) client.destroy();
  }
}

async function createOrGet(client: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  try {
    const created = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    return created.QueueUrl!;
  } catch (error) {
    if ((error as { name?: string }).name !== 'QueueNameExists') throw error;
    const existing = await client.send(new CreateQueueCommand({ QueueName: name }));
    await client.send(new SetQueueAttributesCommand({ QueueUrl: existing.QueueUrl!, Attributes: attributes }));
    return existing.QueueUrl!;
  }
}

async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const output = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return output.Attributes!.QueueArn!;
}
