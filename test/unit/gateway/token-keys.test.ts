import { createLogger } from '../../../services/shared/logger';
import { MIN_REFRESH_GAP_MS, secretsManagerStageReader, TokenKeyring } from '../../../services/gateway/token-keys';
import { TokenKeyError } from '../../../services/gateway/errors';

const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:k';
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

describe('TokenKeyring', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('holds AWSCURRENT first and AWSPREVIOUS, and follows a rotation at the refresh period', async () => {
    // Prepare
    jest.useFakeTimers();
    const stages: Record<string, string | undefined> = { AWSCURRENT: A, AWSPREVIOUS: undefined };
    const keyring = new TokenKeyring({ secretArn: ARN, read: async (stage) => stages[stage], refreshMs: 60_000, logger });
    await keyring.start();
    const first = keyring.keys();

    // Act
    stages.AWSCURRENT = B;
    stages.AWSPREVIOUS = A;
    await jest.advanceTimersByTimeAsync(60_000);

    // Assert
    expect(first).toEqual([A]);
    expect(keyring.keys()).toEqual([B, A]);
    keyring.stop();
  });

  it('keeps the keys it has when a refresh fails, and counts the failure', async () => {
    // Prepare
    let failing = false;
    let failures = 0;
    const keyring = new TokenKeyring({
      secretArn: ARN,
      read: async (stage) => {
        if (failing) throw new Error('AccessDeniedException');
        return stage === 'AWSCURRENT' ? A : B;
      },
      logger,
      onRefreshFailed: () => (failures += 1),
    });
    await keyring.start();
    failing = true;

    // Act
    await keyring.refresh();

    // Assert
    expect(keyring.keys()).toEqual([A, B]);
    expect(failures).toBe(1);
    keyring.stop();
  });

  it('re-reads for a token of an unknown key at most once per gap', async () => {
    // Prepare
    let now = 1_000_000;
    let reads = 0;
    const keyring = new TokenKeyring({ secretArn: ARN, read: async (stage) => (reads += 1, stage === 'AWSCURRENT' ? C : undefined), logger, now: () => now });
    await keyring.start();
    const afterStart = reads;

    // Act
    const tooSoon = keyring.refreshSoon();
    now += MIN_REFRESH_GAP_MS;
    await keyring.refreshSoon();
    const again = keyring.refreshSoon();

    // Assert
    expect(tooSoon).toBeUndefined();
    expect(again).toBeUndefined();
    expect(reads - afterStart).toBe(2);
    keyring.stop();
  });

  it.each([
    ['no AWSCURRENT', undefined, /AWSCURRENT has no SecretString/],
    ['a short key', 'short', /shorter than 32 characters/],
  ])('refuses to start with %s, naming the secret and the variable', async (_what, current, message) => {
    // Prepare
    const keyring = new TokenKeyring({ secretArn: ARN, read: async (stage) => (stage === 'AWSCURRENT' ? current : undefined), logger });

    // Act
    const start = keyring.start();

    // Assert
    await expect(start).rejects.toBeInstanceOf(TokenKeyError);
    await expect(keyring.start()).rejects.toThrow(message);
    await expect(keyring.start()).rejects.toThrow(/secret:k \(GATEWAY_TOKEN_SECRET_ARN\)/);
  });

  it('reads stages from Secrets Manager, an absent AWSPREVIOUS as none', async () => {
    // Prepare
    const sent: unknown[] = [];
    const client = {
      send: async (command: { input: { VersionStage: string } }) => {
        sent.push(command.input);
        if (command.input.VersionStage === 'AWSPREVIOUS') throw Object.assign(new Error('no such version'), { name: 'ResourceNotFoundException' });
        return { SecretString: A };
      },
    };
    const read = secretsManagerStageReader(client as never, ARN);

    // Act
    const values = [await read('AWSCURRENT'), await read('AWSPREVIOUS')];

    // Assert
    expect(values).toEqual([A, undefined]);
    expect(sent).toEqual([
      { SecretId: ARN, VersionStage: 'AWSCURRENT' },
      { SecretId: ARN, VersionStage: 'AWSPREVIOUS' },
    ]);
  });
});
