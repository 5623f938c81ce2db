import { existsSync } from 'node:fs';
import { MissingDependencyError } from './errors';
import { findExecutable, installDebianPackages } from './system';

/** Debian ships promtool in the `prometheus` package (server and tools together). */
export const PROMTOOL_PACKAGE = 'prometheus';

/**
 * Absolute path of promtool, which validates and unit-tests the collector's
 * Prometheus rules (test/infra/prometheus-rules.test.ts). `PROMTOOL` wins when
 * it names an existing file; otherwise PATH, then the Debian package (root only).
 */
export function ensurePromtool(): string {
  const configured = process.env.PROMTOOL;
  if (configured) {
    if (existsSync(configured)) return configured;
    throw new MissingDependencyError(`PROMTOOL=${configured} does not exist; unset it or point it at a promtool binary`);
  }
  const found = findExecutable('promtool', ['/usr/bin']);
  if (found) return found;
  installDebianPackages([PROMTOOL_PACKAGE], 'Checking the Prometheus alerting rules (promtool)', 'set PROMTOOL to a promtool binary');
  const installed = findExecutable('promtool', ['/usr/bin']);
  if (!installed) throw new MissingDependencyError(`promtool is still not on PATH after installing the Debian package ${PROMTOOL_PACKAGE}`);
  return installed;
}
