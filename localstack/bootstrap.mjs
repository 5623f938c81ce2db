#!/usr/bin/env node
// Entry point of every npm script that must work on a fresh clone. It is plain
// JavaScript because it runs before `npm ci` has installed TypeScript tooling:
// it installs dependencies when they are missing or older than the lock file,
// then runs the TypeScript entry point given as the first argument through tsx.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants } from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node localstack/bootstrap.mjs <entry.ts> [args...]');
  process.exit(2);
}

function dependenciesAreCurrent() {
  // npm writes node_modules/.package-lock.json on every install; older than the
  // lock file means someone changed dependencies since the last install.
  const installed = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(installed) || !existsSync(join(root, 'node_modules', '.bin', 'tsx'))) return false;
  return statSync(installed).mtimeMs >= statSync(lock).mtimeMs;
}

if (!dependenciesAreCurrent()) {
  console.error('[bootstrap] node_modules missing or older than package-lock.json: running npm ci');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('[bootstrap] npm ci failed; fix the error above (network to the npm registry, disk space) and run again');
    process.exit(result.status ?? 1);
  }
}

const tsxCli = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const child = spawn(process.execPath, [tsxCli, join(root, entry), ...args], { cwd: process.cwd(), stdio: 'inherit' });
// The child handles SIGINT/SIGTERM itself (graceful stop); the parent only waits,
// so Ctrl-C in a terminal (sent to the whole process group) is not handled twice.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));
