import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The dashboard's sources; `page/tsconfig.json` type-checks them with the DOM library. */
export const DASHBOARD_SOURCE_DIR = join(__dirname, 'page');

/**
 * Bundles the dashboard page (TypeScript and lightweight-charts) into one ES
 * module next to its HTML and CSS, so the gateway serves three static files
 * and the browser fetches nothing from anywhere else. Run at image build time
 * (Dockerfile) and by `npm start` / the tests before the gateway starts.
 */
export async function buildDashboardPage(outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(DASHBOARD_SOURCE_DIR, 'main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'styles.css']) copyFileSync(join(DASHBOARD_SOURCE_DIR, file), join(outDir, file));
  return ['index.html', 'styles.css', 'app.js', 'app.js.map'];
}
