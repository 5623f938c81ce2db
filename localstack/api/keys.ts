import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../../services/shared/errors';

/** The account the local gateway pretends to be, like LocalStack's. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_READER_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/local-reader`;
export const LOCAL_ADMIN_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/local-admin`;

export type KeyRole = 'reader' | 'admin';

/** One IAM identity of the local gateway: the key pair a client signs with and the principal it stands for. */
export interface LocalKey {
  accessKeyId: string;
  secretAccessKey: string;
  principalArn: string;
  role: KeyRole;
  /** Generated at start-up (printed) rather than taken from the environment. */
  generated: boolean;
}

export interface LocalKeys {
  reader: LocalKey;
  admin: LocalKey;
}

// AWS access key ids are 16 to 128 word characters; anything else would also break the Credential= parsing.
const accessKeyIdSchema = z.string().regex(/^\w{16,128}$/, 'must be 16 to 128 letters, digits or _ (like an AWS access key id)');
// Secrets travel in `--user KEY:SECRET` and in shell variables: printable, no spaces.
const secretSchema = z.string().regex(/^[\x21-\x7e]{8,128}$/, 'must be 8 to 128 printable characters without spaces');

/** The four variables, each optional; a pair must be set together (see keyPairProblems). */
export const localKeyVariablesSchema = z.object({
  LOCAL_READER_KEY_ID: accessKeyIdSchema.optional(),
  LOCAL_READER_SECRET: secretSchema.optional(),
  LOCAL_ADMIN_KEY_ID: accessKeyIdSchema.optional(),
  LOCAL_ADMIN_SECRET: secretSchema.optional(),
});

export type LocalKeyVariables = z.output<typeof localKeyVariablesSchema>;

const PAIRS = [
  { role: 'reader', id: 'LOCAL_READER_KEY_ID', secret: 'LOCAL_READER_SECRET' },
  { role: 'admin', id: 'LOCAL_ADMIN_KEY_ID', secret: 'LOCAL_ADMIN_SECRET' },
] as const;

export interface KeyVariableProblem {
  variable: keyof LocalKeyVariables;
  message: string;
}

/** Half-set pairs and a reader sharing the admin's key id; each problem names the variable to fix. */
export function keyPairProblems(vars: LocalKeyVariables): KeyVariableProblem[] {
  const problems: KeyVariableProblem[] = [];
  for (const pair of PAIRS) {
    const hasId = vars[pair.id] !== undefined;
    const hasSecret = vars[pair.secret] !== undefined;
    if (hasId && !hasSecret) problems.push({ variable: pair.secret, message: `must be set when ${pair.id} is (or unset both to generate a ${pair.role} key)` });
    if (hasSecret && !hasId) problems.push({ variable: pair.id, message: `must be set when ${pair.secret} is (or unset both to generate a ${pair.role} key)` });
  }
  if (vars.LOCAL_READER_KEY_ID !== undefined && vars.LOCAL_READER_KEY_ID === vars.LOCAL_ADMIN_KEY_ID) {
    problems.push({ variable: 'LOCAL_ADMIN_KEY_ID', message: 'must differ from LOCAL_READER_KEY_ID: the key id decides the role' });
  }
  return problems;
}

type RandomBytes = (size: number) => Buffer;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `AKIALOCAL` and 11 random characters of the alphabet AWS uses for key ids: 20 characters like a real one. */
export function generateAccessKeyId(random: RandomBytes = randomBytes): string {
  const bytes = random(11);
  let suffix = '';
  for (const byte of bytes) suffix += BASE32[byte % 32];
  return `AKIALOCAL${suffix}`;
}

/** 40 base64 characters (30 random bytes), the length and alphabet of an AWS secret access key. */
export function generateSecretAccessKey(random: RandomBytes = randomBytes): string {
  return random(30).toString('base64');
}

/**
 * The reader and admin keys: from LOCAL_READER_KEY_ID / LOCAL_READER_SECRET and
 * LOCAL_ADMIN_KEY_ID / LOCAL_ADMIN_SECRET where set, generated otherwise.
 * Throws ConfigError naming the variable when a value or a pair is wrong.
 */
export function resolveLocalKeys(env: Record<string, string | undefined> = process.env, random: RandomBytes = randomBytes): LocalKeys {
  // Empty strings come from templates and compose files; treat them as unset.
  const present = Object.fromEntries(PAIRS.flatMap((pair) => [pair.id, pair.secret]).flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
  const parsed = localKeyVariablesSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
    throw new ConfigError(`Invalid local API keys; fix these environment variables: ${problems.join('; ')}`);
  }
  const problems = keyPairProblems(parsed.data);
  if (problems.length > 0) {
    throw new ConfigError(`Invalid local API keys; fix these environment variables: ${problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`);
  }
  return localKeysFrom(parsed.data, random);
}

/** Keys from already validated variables (see keyPairProblems), generating the pairs that are unset. */
export function localKeysFrom(vars: LocalKeyVariables, random: RandomBytes = randomBytes): LocalKeys {
  const key = (role: KeyRole, id: string | undefined, secret: string | undefined, principalArn: string): LocalKey =>
    id !== undefined && secret !== undefined
      ? { accessKeyId: id, secretAccessKey: secret, principalArn, role, generated: false }
      : { accessKeyId: generateAccessKeyId(random), secretAccessKey: generateSecretAccessKey(random), principalArn, role, generated: true };
  return {
    reader: key('reader', vars.LOCAL_READER_KEY_ID, vars.LOCAL_READER_SECRET, LOCAL_READER_ARN),
    admin: key('admin', vars.LOCAL_ADMIN_KEY_ID, vars.LOCAL_ADMIN_SECRET, LOCAL_ADMIN_ARN),
  };
}
