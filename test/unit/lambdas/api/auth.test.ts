import { principalMatches, roleOf, type Principals } from '../../../../lambdas/api/auth';

const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '210987654321';

describe('principalMatches', () => {
  it.each([
    ['the same user ARN', `arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:user/alice`],
    ['the same role ARN', `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a session of the role', `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdmin/alice-session`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a session of a role configured with a path', `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdmin/ci`, `arn:aws:iam::${ACCOUNT}:role/team/ops/ConfigAdmin`],
    ['a session of a role in another partition, configured in it', `arn:aws-cn:sts::${ACCOUNT}:assumed-role/ConfigAdmin/s`, `arn:aws-cn:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['the same assumed-role session ARN', `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdmin/s`, `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdmin/s`],
  ])('matches %s', (_label, caller, configured) => {
    // Act
    const matches = principalMatches(caller, configured);

    // Assert
    expect(matches).toBe(true);
  });

  it.each([
    ['another user', `arn:aws:iam::${ACCOUNT}:user/bob`, `arn:aws:iam::${ACCOUNT}:user/alice`],
    ['a session of another role', `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigReader/s`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a session of a role whose name only starts alike', `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdminX/s`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a session of the role name in another account', `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/ConfigAdmin/s`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a session of the role name in another partition', `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/ConfigAdmin/s`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a user named like the configured role', `arn:aws:iam::${ACCOUNT}:user/ConfigAdmin`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a session of a role named like the configured user', `arn:aws:sts::${ACCOUNT}:assumed-role/alice/s`, `arn:aws:iam::${ACCOUNT}:user/alice`],
    ['a role ARN with another path than the configured one', `arn:aws:iam::${ACCOUNT}:role/other/ConfigAdmin`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['another session than the configured session', `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdmin/mallory`, `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdmin/alice`],
    ['a federated user named like the role', `arn:aws:sts::${ACCOUNT}:federated-user/ConfigAdmin`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a session of the role from another service prefix', `arn:aws:iam::${ACCOUNT}:assumed-role/ConfigAdmin/s`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a caller that is not an ARN', 'ConfigAdmin', `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a caller ARN with too few parts', `arn:aws:sts:${ACCOUNT}:assumed-role/ConfigAdmin/s`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a caller with another scheme', `urn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdmin/s`, `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
    ['a configured value that is not an ARN', `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdmin/s`, 'ConfigAdmin'],
    ['an empty caller', '', `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`],
  ])('does not match %s', (_label, caller, configured) => {
    // Act
    const matches = principalMatches(caller, configured);

    // Assert
    expect(matches).toBe(false);
  });
});

describe('roleOf', () => {
  const principals: Principals = {
    readers: [`arn:aws:iam::${ACCOUNT}:role/ConfigReader`, `arn:aws:iam::${ACCOUNT}:user/dashboard`],
    admins: [`arn:aws:iam::${ACCOUNT}:role/ops/ConfigAdmin`],
  };

  it('finds an admin by a session of the admin role', () => {
    // Act
    const role = roleOf(`arn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdmin/alice`, principals);

    // Assert
    expect(role).toBe('admin');
  });

  it('finds a reader by a session of the reader role and by a configured user', () => {
    // Act
    const bySession = roleOf(`arn:aws:sts::${ACCOUNT}:assumed-role/ConfigReader/grafana`, principals);
    const byUser = roleOf(`arn:aws:iam::${ACCOUNT}:user/dashboard`, principals);

    // Assert
    expect(bySession).toBe('reader');
    expect(byUser).toBe('reader');
  });

  it('makes a principal listed as both reader and admin an admin', () => {
    // Prepare
    const both: Principals = { readers: [`arn:aws:iam::${ACCOUNT}:role/Ops`], admins: [`arn:aws:iam::${ACCOUNT}:role/Ops`] };

    // Act
    const role = roleOf(`arn:aws:sts::${ACCOUNT}:assumed-role/Ops/s`, both);

    // Assert
    expect(role).toBe('admin');
  });

  it.each([
    ['an unknown role session', `arn:aws:sts::${ACCOUNT}:assumed-role/Somebody/s`],
    ['the admin role name in another account', `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/ConfigAdmin/s`],
    ['a user named like the reader role', `arn:aws:iam::${ACCOUNT}:user/ConfigReader`],
    ['an empty caller', ''],
    ['a null caller', null],
    ['an undefined caller', undefined],
  ])('knows no role for %s', (_label, caller) => {
    // Act
    const role = roleOf(caller, principals);

    // Assert
    expect(role).toBeUndefined();
  });

  it('knows no role when no principal is configured', () => {
    // Act
    const role = roleOf(`arn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdmin/s`, { readers: [], admins: [] });

    // Assert
    expect(role).toBeUndefined();
  });
});
