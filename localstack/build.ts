/**
 * `npm run build`: esbuild bundles every deployable entry point into dist/, one
 * self-contained CommonJS file each, targeting the production runtime (Node 22).
 * The CDK's NodejsFunction bundles the lambdas itself at synth time with the same
 * esbuild; this build is for the container image and for inspecting bundle sizes.
 */
import { build } from 'esbuild';
import { cpSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './env';

/** Entry points and their bundles; every later component adds itself here. */
export const ENTRY_POINTS: Record<string, string> = {
  'collector/index': 'services/collector/main.ts',
  'ingest/index': 'lambdas/ingest/index.ts',
  'migrate/index': 'lambdas/migrate/index.ts',
  'api/index': 'lambdas/api/index.ts',
  'simulator/index': 'services/simulator/cli.ts',
};

async function main(): Promise<void> {
  for (const [out, entry] of Object.entries(ENTRY_POINTS)) {
    const outfile = join(REPO_ROOT, 'dist', `${out}.js`);
    await build({
      entryPoints: [join(REPO_ROOT, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      sourcemap: true,
      minify: false,
      legalComments: 'none',
      // Optional native speed-ups of ws; the bundle works without them.
      external: ['bufferutil', 'utf-8-validate'],
      logLevel: 'warning',
    });
    console.log(`[build] ${entry} -> dist/${out}.js (${Math.round(statSync(outfile).size / 1024)} KiB)`);
  }
  // The migrate Lambda reads its SQL files from disk, next to its bundle.
  cpSync(join(REPO_ROOT, 'lambdas', 'migrate', 'migrations'), join(REPO_ROOT, 'dist', 'migrate', 'migrations'), { recursive: true });
}

main().catch((error: unknown) => {
  console.error(`[build] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
