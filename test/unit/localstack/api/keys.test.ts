import { ConfigError } from '../../../../services/shared';
import { generateAccessKeyId, generateSecretAccessKey, LOCAL_ADMIN_ARN, LOCAL_READER_ARN, resolveLocalKeys } from '../../../../localstack/api';

const READER = { LOCAL_READER_KEY_ID: 'AKIALOCALREADER00001', LOCAL_READER_SECRET: 'reader-secret-0000000000000000000000000' };
const ADMIN = { LOCAL_ADMIN_KEY_ID: 'AKIALOCALADMIN000001', LOCAL_ADMIN_SECRET: 'admin/secret+0000000000000000000000000' };

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('resolveLocalKeys', () => {
  it('generates AWS-shaped reader and admin keys when no variable is set', () => {
    // Act
    const keys = resolveLocalKeys({});

    // Assert
    expect(keys.reader).toMatchObject({ principalArn: 'arn:aws:iam::000000000000:user/local-reader', role: 'reader', generated: true });
    expect(keys.admin).toMatchObject({ principalArn: 'arn:aws:iam::000000000000:user/local-admin', role: 'admin', generated: true });
    for (const key of [keys.reader, keys.admin]) {
      expect(key.accessKeyId).toMatch(/^AKIALOCAL[A-Z2-7]{11}$/);
      expect(key.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    }
    expect(keys.reader.accessKeyId).not.toBe(keys.admin.accessKeyId);
  });

  it('takes both pairs from the environment', () => {
    // Act
    const keys = resolveLocalKeys({ ...READER, ...ADMIN });

    // Assert
    expect(keys.reader).toEqual({ accessKeyId: READER.LOCAL_READER_KEY_ID, secretAccessKey: READER.LOCAL_READER_SECRET, principalArn: LOCAL_READER_ARN, role: 'reader', generated: false });
    expect(keys.admin).toEqual({ accessKeyId: ADMIN.LOCAL_ADMIN_KEY_ID, secretAccessKey: ADMIN.LOCAL_ADMIN_SECRET, principalArn: LOCAL_ADMIN_ARN, role: 'admin', generated: false });
  });

  it('generates only the pair that is unset, and treats empty strings as unset', () => {
    // Act
    const keys = resolveLocalKeys({ ...ADMIN, LOCAL_READER_KEY_ID: '', LOCAL_READER_SECRET: '' });

    // Assert
    expect(keys.reader.generated).toBe(true);
    expect(keys.admin).toMatchObject({ accessKeyId: ADMIN.LOCAL_ADMIN_KEY_ID, generated: false });
  });

  it.each([
    [{ LOCAL_READER_KEY_ID: READER.LOCAL_READER_KEY_ID }, 'LOCAL_READER_SECRET must be set when LOCAL_READER_KEY_ID is'],
    [{ LOCAL_ADMIN_SECRET: ADMIN.LOCAL_ADMIN_SECRET }, 'LOCAL_ADMIN_KEY_ID must be set when LOCAL_ADMIN_SECRET is'],
  ])('refuses a half-set pair, naming the missing variable (%j)', (env, expected) => {
    // Act
    const error = configError(() => resolveLocalKeys(env));

    // Assert
    expect(error.message).toContain(expected);
  });

  it('refuses a reader and an admin with the same key id', () => {
    // Act
    const error = configError(() => resolveLocalKeys({ ...READER, LOCAL_ADMIN_KEY_ID: READER.LOCAL_READER_KEY_ID, LOCAL_ADMIN_SECRET: ADMIN.LOCAL_ADMIN_SECRET }));

    // Assert
    expect(error.message).toContain('LOCAL_ADMIN_KEY_ID must differ from LOCAL_READER_KEY_ID');
  });

  it.each([
    [{ ...READER, LOCAL_READER_KEY_ID: 'short' }, 'LOCAL_READER_KEY_ID'],
    [{ ...READER, LOCAL_READER_KEY_ID: 'AKIA/LOCAL/READER/0001' }, 'LOCAL_READER_KEY_ID'],
    [{ ...ADMIN, LOCAL_ADMIN_SECRET: 'has a space in it' }, 'LOCAL_ADMIN_SECRET'],
  ])('refuses an unusable value, naming the variable (%j)', (env, variable) => {
    // Act
    const error = configError(() => resolveLocalKeys(env));

    // Assert
    expect(error.message).toContain(`${variable}:`);
  });
});

describe('key generation', () => {
  it('draws ids and secrets from the random source', () => {
    // Prepare
    const zeros = (size: number) => Buffer.alloc(size);

    // Act
    const id = generateAccessKeyId(zeros);
    const secret = generateSecretAccessKey(zeros);

    // Assert
    expect(id).toBe('AKIALOCALAAAAAAAAAAA');
    expect(secret).toBe('A'.repeat(40));
  });
});
