import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DashboardPage, PAGE_ROUTES } from '../../../services/gateway/static-page';

describe('DashboardPage', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'page-test-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writePage(except?: string): Promise<void> {
    for (const file of new Set(Object.values(PAGE_ROUTES).map((r) => r.file))) if (file !== except) await writeFile(join(dir, file), `content of ${file}`);
    await writeFile(join(dir, 'secret.txt'), 'not part of the page');
  }

  it('serves the listed files by exact path, with a content type and an ETag of the content', async () => {
    // Prepare
    await writePage();

    // Act
    const page = await DashboardPage.load(dir);

    // Assert
    expect(page.get('/')?.body.toString()).toBe('content of index.html');
    expect(page.get('/')?.etag).toBe(page.get('/index.html')?.etag);
    expect(page.get('/app.js')).toMatchObject({ contentType: 'text/javascript; charset=utf-8' });
    expect(page.get('/styles.css')?.etag).not.toBe(page.get('/app.js')?.etag);
    expect(page.get('/secret.txt')).toBeUndefined();
    expect(page.get('/../secret.txt')).toBeUndefined();
  });

  it('fails to load naming the missing file', async () => {
    // Prepare
    await writePage('app.js');

    // Act / Assert
    await expect(DashboardPage.load(dir)).rejects.toThrow(/no app\.js in .*GATEWAY_PAGE_DIR/);
  });
});
