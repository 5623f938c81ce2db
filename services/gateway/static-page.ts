import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A file of the dashboard page, held in memory with its validator. */
export interface PageFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

/**
 * The only paths served, each to one file of the built page: requests are
 * looked up in this table, never joined onto a directory, so no path can
 * reach another file (`/../`, encoded slashes, symlinks all miss the table).
 */
export const PAGE_ROUTES: Readonly<Record<string, { file: string; contentType: string }>> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/styles.css': { file: 'styles.css', contentType: 'text/css; charset=utf-8' },
  '/app.js': { file: 'app.js', contentType: 'text/javascript; charset=utf-8' },
  '/app.js.map': { file: 'app.js.map', contentType: 'application/json; charset=utf-8' },
};

/**
 * Headers of every page response. The names are not content-hashed, so the
 * browser revalidates each load (no-cache + ETag: a 304 costs one round trip)
 * and a new image's page is never hidden behind an old cached script. The
 * policy allows nothing but this origin: the page loads no CDN and connects
 * only to its own gateway.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
};

export class DashboardPage {
  private constructor(private readonly files: ReadonlyMap<string, PageFile>) {}

  /**
   * Reads the built page from `dir` (the image builds it: GATEWAY_PAGE_DIR), or,
   * without one, builds it now with esbuild into a temporary directory (a
   * checkout: `npm run gateway`). Either way every file is in memory before
   * the gateway listens, and a missing file fails the start naming it.
   */
  static async load(dir: string | undefined): Promise<DashboardPage> {
    if (dir !== undefined) return DashboardPage.read(dir);
    const scratch = await mkdtemp(join(tmpdir(), 'mdc-gateway-page-'));
    try {
      // Imported only here: the image's bundle serves a built page and carries no esbuild.
      const { buildDashboardPage } = await import('./page-build');
      await buildDashboardPage(scratch);
      return await DashboardPage.read(scratch);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  private static async read(dir: string): Promise<DashboardPage> {
    const files = new Map<string, PageFile>();
    for (const [path, route] of Object.entries(PAGE_ROUTES)) {
      let body: Buffer;
      try {
        body = await readFile(join(dir, route.file));
      } catch (error) {
        throw new Error(`the dashboard page has no ${route.file} in ${dir}; build it with services/gateway/page-build.ts or unset GATEWAY_PAGE_DIR`, { cause: error });
      }
      files.set(path, { body, contentType: route.contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
    }
    return new DashboardPage(files);
  }

  /** The file of a request path, or undefined (a 404). */
  get(pathname: string): PageFile | undefined {
    return this.files.get(pathname);
  }
}
