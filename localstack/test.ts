/**
 * `npm test`: the whole suite on a fresh machine. Ensures promtool (for the
 * Prometheus rule tests) and the services the integration tests talk to,
 * type-checks and lints (so type errors fail the suite even though jest's SWC
 * transform only strips types), runs jest, and stops again whatever it started.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChromium, ensureLocalServices, ensurePromtool, localDefaults, REPO_ROOT, STATE_DIR, stopInOrder, type LocalServices, type ShutdownStep } from './env';

function step(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  console.log(`\n[test] ${name}: ${command} ${args.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: 'inherit' });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const bin = (name: string) => join(REPO_ROOT, 'node_modules', '.bin', name);

interface JestSummary {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTests: number;
}

async function main(): Promise<number> {
  const jestArgs = process.argv.slice(2);
  const started = Date.now();
  // Before any service starts: a missing promtool stops the run with the package to install.
  const promtool = ensurePromtool();
  const chromium = ensureChromium();
  // Redis pub/sub channels are global to a server, not per db index: a collector
  // running on this machine (npm start) would publish into the tests' channels. So
  // the suite uses a Redis of its own, on its own port, started here when absent.
  const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6390/0';
  const startedServices: ShutdownStep[] = [];
  const stopServices = () => stopInOrder(startedServices.splice(0), { failed: (step, error) => console.error(`[test] stopping ${step.name} failed:`, error) });
  // Registered before the services start: they run in process groups of their own, so Ctrl-C reaches only this process.
  const interrupt = async () => {
    await stopServices();
    process.exit(130);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  process.once('SIGHUP', interrupt);
  const services: LocalServices = await ensureLocalServices({ redisUrl: testRedisUrl, onStarted: (step) => startedServices.push(step) });
  for (const service of [services.redis, services.postgres, services.sqs]) console.log(`[test] ${service.name.padEnd(8)} ${service.url}  ${service.origin}`);
  try {
    const typecheck = await step('type check', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']);
    if (typecheck !== 0) return typecheck;
    // The dashboard page is browser code: its own project, with the DOM library.
    const pageTypecheck = await step('type check (dashboard page)', bin('tsc'), ['--noEmit', '-p', 'services/gateway/page/tsconfig.json']);
    if (pageTypecheck !== 0) return pageTypecheck;
    const lint = await step('lint', bin('eslint'), ['.']);
    if (lint !== 0) return lint;

    const resultsFile = join(STATE_DIR, 'jest-results.json');
    const env = {
      ...process.env,
      REDIS_URL: services.redis.url,
      DATABASE_URL: localDefaults.databaseUrl,
      AWS_ENDPOINT_URL: localDefaults.sqsEndpoint,
      AWS_REGION: localDefaults.awsRegion,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'ERROR',
      PROMTOOL: promtool,
      CHROMIUM: chromium,
    };
    // jest's default on 2 cores is one worker; the service-backed tests spend most of
    // their time waiting on sockets and timers, so two share the machine well (each has
    // its own Redis db index and database). JEST_WORKERS (or --maxWorkers) overrides.
    const workers = jestArgs.some((arg) => arg.startsWith('--maxWorkers') || arg === '-w' || arg === '--runInBand' || arg === '-i') ? [] : [`--maxWorkers=${process.env.JEST_WORKERS ?? '2'}`];
    const code = await step('jest', bin('jest'), ['--ci', '--json', `--outputFile=${resultsFile}`, ...workers, ...jestArgs], env);
    try {
      const summary = JSON.parse(readFileSync(resultsFile, 'utf8')) as JestSummary;
      // A plain closing line that CI and humans read the same way.
      console.log(`\njest: ${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${summary.numPendingTests} skipped (${Math.round((Date.now() - started) / 1000)} s)`);
    } catch {
      console.log('\njest: no results file was written; see the output above');
    }
    return code;
  } finally {
    await stopServices();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[test] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
