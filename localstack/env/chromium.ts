import { existsSync } from 'node:fs';
import { MissingDependencyError } from './errors';
import { findExecutable, installDebianPackages } from './system';

/** Debian's Chromium, which playwright-core drives for the dashboard page test. */
export const CHROMIUM_PACKAGE = 'chromium';

/**
 * Absolute path of a Chromium for the browser tests (test/e2e/dashboard.test.ts).
 * `CHROMIUM` wins when it names an existing file; otherwise PATH, then the
 * Debian package (root only). Playwright's own browser download is not used:
 * it needs the internet, and the machine's Chromium is the one users have.
 */
export function ensureChromium(): string {
  const configured = process.env.CHROMIUM;
  if (configured) {
    if (existsSync(configured)) return configured;
    throw new MissingDependencyError(`CHROMIUM=${configured} does not exist; unset it or point it at a Chromium binary`);
  }
  const found = findExecutable('chromium', ['/usr/bin']);
  if (found) return found;
  installDebianPackages([CHROMIUM_PACKAGE], 'The dashboard page test (a real browser)', 'set CHROMIUM to a Chromium or Chrome binary');
  const installed = findExecutable('chromium', ['/usr/bin']);
  if (!installed) throw new MissingDependencyError(`chromium is still not on PATH after installing the Debian package ${CHROMIUM_PACKAGE}`);
  return installed;
}
