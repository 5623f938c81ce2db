export type ApiRole = 'reader' | 'admin';

export interface Principals {
  readers: readonly string[];
  admins: readonly string[];
}

interface ParsedArn {
  partition: string;
  service: string;
  account: string;
  resource: string;
}

function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { partition: parts[1]!, service: parts[2]!, account: parts[4]!, resource: parts.slice(5).join(':') };
}

/**
 * Whether the caller API Gateway authenticated is the configured principal.
 * A role's callers arrive as STS sessions, `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`,
 * while a role ARN may carry a path (`role/path/NAME`) the session ARN drops; so a
 * configured role matches any session of the role with that name in that account.
 */
export function principalMatches(callerArn: string, configuredArn: string): boolean {
  if (callerArn === configuredArn) return true;
  const caller = parseArn(callerArn);
  const configured = parseArn(configuredArn);
  if (!caller || !configured) return false;
  if (caller.partition !== configured.partition || caller.account !== configured.account) return false;
  if (configured.service !== 'iam' || !configured.resource.startsWith('role/')) return false;
  if (caller.service !== 'sts' || !caller.resource.startsWith('assumed-role/')) return false;
  const roleName = configured.resource.split('/').pop();
  const sessionRole = caller.resource.split('/')[1];
  return roleName !== undefined && roleName === sessionRole;
}

/** The caller's role, admin first; `undefined` for a principal the API does not know. */
export function roleOf(callerArn: string | null | undefined, principals: Principals): ApiRole | undefined {
  if (!callerArn) return undefined;
  if (principals.admins.some((arn) => principalMatches(callerArn, arn))) return 'admin';
  if (principals.readers.some((arn) => principalMatches(callerArn, arn))) return 'reader';
  return undefined;
}
