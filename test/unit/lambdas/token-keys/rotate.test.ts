import { createRotationHandler, KeyRotationError, type RotationEvent } from '../../../../lambdas/token-keys';

type Sent = { name: string; input: Record<string, unknown> };

function fakeSecretsManager(stages: Record<string, string[]>, values: Record<string, string> = {}) {
  const sent: Sent[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      switch (name) {
        case 'DescribeSecretCommand':
          return { RotationEnabled: true, VersionIdsToStages: stages };
        case 'GetRandomPasswordCommand':
          return { RandomPassword: 'k'.repeat(64) };
        case 'GetSecretValueCommand': {
          const value = values[String(command.input.VersionId)];
          if (value === undefined) throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
          return { SecretString: value };
        }
        default:
          return {};
      }
    },
  };
  return { client: client as never, sent };
}

const event = (Step: RotationEvent['Step']): RotationEvent => ({ SecretId: 'arn:key', ClientRequestToken: 'v2', Step });

describe('token signing key rotation', () => {
  it('creates a random 64-character pending key', async () => {
    // Prepare
    const { client, sent } = fakeSecretsManager({ v1: ['AWSCURRENT'], v2: ['AWSPENDING'] });

    // Act
    await createRotationHandler(client)(event('createSecret'));

    // Assert
    expect(sent.map((s) => s.name)).toEqual(['DescribeSecretCommand', 'GetSecretValueCommand', 'GetRandomPasswordCommand', 'PutSecretValueCommand']);
    expect(sent[3]!.input).toEqual({ SecretId: 'arn:key', ClientRequestToken: 'v2', SecretString: 'k'.repeat(64), VersionStages: ['AWSPENDING'] });
  });

  it('does not create a second key when the step is retried', async () => {
    // Prepare
    const { client, sent } = fakeSecretsManager({ v1: ['AWSCURRENT'], v2: ['AWSPENDING'] }, { v2: 'x'.repeat(64) });

    // Act
    await createRotationHandler(client)(event('createSecret'));

    // Assert
    expect(sent.map((s) => s.name)).not.toContain('PutSecretValueCommand');
  });

  it('refuses a pending key shorter than the gateway accepts', async () => {
    // Prepare
    const { client } = fakeSecretsManager({ v1: ['AWSCURRENT'], v2: ['AWSPENDING'] }, { v2: 'short' });

    // Act
    const run = createRotationHandler(client)(event('testSecret'));

    // Assert
    await expect(run).rejects.toThrow(KeyRotationError);
  });

  it('makes the new key current, which makes the old one previous', async () => {
    // Prepare
    const { client, sent } = fakeSecretsManager({ v1: ['AWSCURRENT'], v2: ['AWSPENDING'] });

    // Act
    await createRotationHandler(client)(event('finishSecret'));

    // Assert
    expect(sent[1]).toEqual({ name: 'UpdateSecretVersionStageCommand', input: { SecretId: 'arn:key', VersionStage: 'AWSCURRENT', MoveToVersionId: 'v2', RemoveFromVersionId: 'v1' } });
  });

  it('refuses a version this rotation did not create', async () => {
    // Prepare
    const { client } = fakeSecretsManager({ v1: ['AWSCURRENT'] });

    // Act
    const run = createRotationHandler(client)(event('createSecret'));

    // Assert
    await expect(run).rejects.toThrow(/has no stage/);
  });
});
