import { createCollectorSqsClient, SQS_MAX_ATTEMPTS } from '../../../../../services/collector/sinks/sqs';

describe('createCollectorSqsClient', () => {
  it('bounds the attempts per call and targets the endpoint override', async () => {
    // Prepare
    const client = createCollectorSqsClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566', requestTimeoutMs: 3000 });

    // Act
    const maxAttempts = await client.config.maxAttempts();
    const region = await client.config.region();
    client.destroy();

    // Assert
    expect(maxAttempts).toBe(SQS_MAX_ATTEMPTS);
    expect(region).toBe('eu-west-1');
    expect(client.config.isCustomEndpoint).toBe(true);
  });

  it('takes an explicit attempt count', async () => {
    // Prepare
    const client = createCollectorSqsClient({ region: 'us-east-1', requestTimeoutMs: 3000, maxAttempts: 1 });

    // Act
    const maxAttempts = await client.config.maxAttempts();
    client.destroy();

    // Assert
    expect(maxAttempts).toBe(1);
    expect(client.config.isCustomEndpoint).toBe(false);
  });
});
