/**
 * `npm run synth`: `cdk synth` of bin/app.ts with no AWS credentials and no
 * network. The stacks are environment-agnostic and do no lookups, the CLI is
 * told not to check for updates, print notices or send telemetry, and every
 * AWS_* variable (profiles, keys, SSO, web identity) is removed from its
 * environment so nothing can reach an account. cdk-nag (AwsSolutions) runs as a
 * validation plugin during synthesis: an unacknowledged error fails the synth,
 * and so does this script. Extra arguments go to `cdk synth` (e.g. `-c shardCount=2`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '..');

function offlineEnvironment(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(source)) {
    if (!key.startsWith('AWS_')) env[key] = value;
  }
  return {
    ...env,
    // No instance metadata probe for credentials or region.
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

async function main(): Promise<number> {
  const cdk = join(REPO_ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'cdk.cmd' : 'cdk');
  if (!existsSync(cdk)) throw new Error(`${cdk} not found: run npm ci`);
  const tsx = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const app = `"${process.execPath}" "${tsx}" bin/app.ts`;
  const args = ['synth', '--app', app, '--no-notices', '--no-lookups', '--no-version-reporting', '--quiet', '--output', 'cdk.out', ...process.argv.slice(2)];
  console.log(`[synth] cdk ${args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}`);
  const child = spawn(cdk, args, { cwd: REPO_ROOT, env: offlineEnvironment(process.env), stdio: 'inherit' });
  const code = await new Promise<number>((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
  if (code !== 0) {
    console.error('[synth] failed: see the cdk-nag report or the error above (acknowledge a finding only with a reason specific to it)');
    return code;
  }
  console.log('[synth] templates in cdk.out/; cdk-nag AwsSolutions: no unacknowledged errors');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[synth] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
