/**
 * `npm run bench [-- name ...]`: runs every `test/bench/*.bench.ts` (or those
 * whose name contains one of the arguments), each in its own process so one
 * benchmark's memory and CPU do not colour the next, and writes
 * `reports/<name>.json` plus a combined `reports/bench.md`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ensureLocalServices, localDefaults } from '../../localstack/env';

export interface BenchResult {
  name: string;
  metrics: Record<string, number | string>;
  notes: string[];
  /** Markdown lines of a table of the benchmark's own shape (the fault matrix), shown before its metrics. */
  tables?: string[];
}

const root = join(__dirname, '..', '..');
const reports = join(root, 'reports');

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((file) => file.endsWith('.bench.ts'))
    .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
    .sort();
  if (files.length === 0) {
    console.error(`no benchmark matches ${filters.join(', ')}`);
    return 2;
  }
  mkdirSync(reports, { recursive: true });
  // Benchmarks that need Redis (or later PostgreSQL and SQS) get them like npm test does.
  const services = await ensureLocalServices();
  const results: BenchResult[] = [];
  let failed = 0;
  for (const file of files) {
    const name = file.replace(/\.bench\.ts$/, '');
    const output = join(reports, `${name}.json`);
    console.log(`[bench] ${name} ...`);
    const script = `const m = require(${JSON.stringify(join(__dirname, file))}); Promise.resolve((m.default ?? m)()).then((r) => { require('node:fs').writeFileSync(${JSON.stringify(output)}, JSON.stringify(r, null, 2)); process.exit(0); }, (e) => { console.error(e); process.exit(1); });`;
    const env = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'ERROR', REDIS_URL: localDefaults.redisUrl, DATABASE_URL: localDefaults.databaseUrl, AWS_ENDPOINT_URL: localDefaults.sqsEndpoint };
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', script], { cwd: root, stdio: 'inherit', env });
    if (run.status !== 0) {
      console.error(`[bench] ${name} failed (exit ${run.status})`);
      failed += 1;
      continue;
    }
    const result = JSON.parse(readFileSync(output, 'utf8')) as BenchResult;
    results.push(result);
    console.log(JSON.stringify(result, null, 2));
  }
  const lines = [
    `# Benchmarks (${new Date().toISOString()})`,
    '',
    `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
    '',
  ];
  for (const result of results) {
    lines.push(`## ${result.name}`, '');
    if (result.tables) lines.push(...result.tables, '');
    lines.push('| metric | value |', '| --- | --- |');
    for (const [key, value] of Object.entries(result.metrics)) lines.push(`| ${key} | ${value} |`);
    lines.push('', ...result.notes.map((note) => `- ${note}`), '');
  }
  writeFileSync(join(reports, 'bench.md'), lines.join('\n'));
  console.log(`[bench] reports written to ${reports}`);
  await services.stop();
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[bench] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
