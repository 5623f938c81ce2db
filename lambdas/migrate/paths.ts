import { join } from 'node:path';

/**
 * The SQL files sit next to this module, and the Lambda bundle keeps that layout
 * (the CDK bundling copies lambdas/migrate/migrations next to index.js), so the
 * same relative path works from source (tsx, jest) and from the bundle.
 */
export const MIGRATIONS_DIR = join(__dirname, 'migrations');
