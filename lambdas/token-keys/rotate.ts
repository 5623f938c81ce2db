import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { CollectorError } from '../../services/shared/errors';

/**
 * Secrets Manager rotation of the stream-token signing key: a new random key
 * becomes AWSCURRENT and the old one AWSPREVIOUS. The config API signs with
 * AWSCURRENT; gateways verify with both, so a token signed just before a
 * rotation stays valid until it expires and no connection is dropped.
 */
export interface RotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
}

export class KeyRotationError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOKEN_KEY_ROTATION_FAILED', message, options);
  }
}

/** Shorter keys than this are refused by the gateway (GATEWAY_TOKEN_SECRET). */
export const SIGNING_KEY_LENGTH = 64;

type Client = Pick<SecretsManagerClient, 'send'>;

export function createRotationHandler(client: Client): (event: RotationEvent) => Promise<void> {
  return async (event) => {
    const { SecretId, ClientRequestToken: token, Step } = event;
    const description = await client.send(new DescribeSecretCommand({ SecretId }));
    const stages = description.VersionIdsToStages ?? {};
    if (!description.RotationEnabled) throw new KeyRotationError(`Rotation is not enabled on ${SecretId}`);
    if (!stages[token]) throw new KeyRotationError(`Version ${token} of ${SecretId} has no stage; it was not created by this rotation`);

    switch (Step) {
      case 'createSecret': {
        if (stages[token]!.includes('AWSCURRENT') || stages[token]!.includes('AWSPENDING')) {
          // A retried step: the pending value may already exist.
          const existing = await client.send(new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' })).catch(() => undefined);
          if (existing?.SecretString || stages[token]!.includes('AWSCURRENT')) return;
        }
        const random = await client.send(new GetRandomPasswordCommand({ PasswordLength: SIGNING_KEY_LENGTH, ExcludePunctuation: true }));
        if (!random.RandomPassword) throw new KeyRotationError('Secrets Manager returned no random key');
        await client.send(new PutSecretValueCommand({ SecretId, ClientRequestToken: token, SecretString: random.RandomPassword, VersionStages: ['AWSPENDING'] }));
        return;
      }
      case 'setSecret':
        // Nothing holds the key but Secrets Manager: gateways and the API read it from there.
        return;
      case 'testSecret': {
        const pending = await client.send(new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }));
        if (!pending.SecretString || pending.SecretString.length < 32) throw new KeyRotationError(`The pending key of ${SecretId} is shorter than 32 characters`);
        return;
      }
      case 'finishSecret': {
        const current = Object.entries(stages).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
        if (current === token) return;
        // Secrets Manager moves AWSPREVIOUS to the version that loses AWSCURRENT.
        await client.send(new UpdateSecretVersionStageCommand({ SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current }));
        return;
      }
      default:
        throw new KeyRotationError(`Unknown rotation step ${String(Step)}`);
    }
  };
}

export const handler = createRotationHandler(new SecretsManagerClient({}));
