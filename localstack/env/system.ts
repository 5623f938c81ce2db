import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MissingDependencyError } from './errors';

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Absolute path of `name` on PATH or in one of `extraDirs`, or undefined. */
export function findExecutable(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Debian installs each PostgreSQL major under /usr/lib/postgresql/<major>/bin; prefer the newest. */
export function postgresBinDirs(): string[] {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .filter((major) => /^\d+$/.test(major))
    .sort((a, b) => Number(b) - Number(a))
    .map((major) => join(base, major, 'bin'))
    .filter((dir) => existsSync(join(dir, 'postgres')));
}

let aptUpdated = false;

/**
 * Installs Debian packages when running as root; otherwise stops with the exact
 * command the operator has to run, because a half-set-up environment is worse
 * than a clear refusal. `alternative` tells the operator what else would do
 * (default: a running service at the matching *_URL).
 */
export function installDebianPackages(packages: string[], purpose: string, alternative = 'point the matching *_URL variable at a running service'): void {
  const command = `apt-get install -y ${packages.join(' ')}`;
  if (!isRoot() || !findExecutable('apt-get')) {
    throw new MissingDependencyError(`${purpose} needs the Debian package(s) ${packages.join(', ')}. Install them with: sudo ${command} (or ${alternative}).`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    console.error(`[env] apt-get update (to install ${packages.join(', ')})`);
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    aptUpdated = true;
  }
  console.error(`[env] ${command}`);
  const result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  if (result.status !== 0) {
    throw new MissingDependencyError(`'${command}' failed (exit ${result.status}); run it by hand to see why`);
  }
}

/** Runs a command synchronously, as another user when given (root only), and throws with its output on failure. */
export function run(command: string, args: string[], options: { asUser?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const [file, argv] = options.asUser ? ['runuser', ['-u', options.asUser, '--', command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new MissingDependencyError(
      `'${[command, ...args].join(' ')}' failed (exit ${result.status ?? result.signal}): ${(result.stderr || result.stdout || String(result.error ?? '')).trim()}`,
    );
  }
  return result.stdout;
}
