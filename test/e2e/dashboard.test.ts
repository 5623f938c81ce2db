import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../localstack/env';
import { Collector, loadCollectorConfig } from '../../services/collector';
import { DashboardPage } from '../../services/gateway/static-page';
import { signStreamToken } from '../../services/gateway/tokens';
import { startSimulator, type SimulatorHandle } from '../../services/simulator';
import { eventually, GatewayHarness } from '../integration/gateway/harness';

/**
 * The live dashboard in a real browser (Debian's Chromium through
 * playwright-core; `npm test` installs it or CHROMIUM names one) against the
 * local pipeline's streaming half: the exchange simulator, a collector writing
 * Redis, and the gateway serving the page it built with esbuild. Screenshots go
 * to reports/ (gateway-page.png, gateway-page-token-refused.png).
 *
 * Other test files' collectors publish on the shared `rates:binance` channel
 * too (pub/sub ignores db indexes), so the assertions are about this page
 * filling and moving, not about exact symbols.
 */
jest.setTimeout(180_000);

const REPORTS = join(REPO_ROOT, 'reports');
const TOKEN_KEY = 'dashboard-test-signing-key-0123456789abcdef';
const COLLECTOR_ID = `dashboard-e2e-${process.pid}`;

let sim: SimulatorHandle;
let collector: Collector;
let open: GatewayHarness;
let guarded: GatewayHarness;
let browser: Browser;

beforeAll(async () => {
  const page = await DashboardPage.load(undefined);
  sim = await startSimulator({ port: 0, symbols: 60, rate: 600, seed: 5, logLevel: 'ERROR' });
  open = new GatewayHarness();
  await open.start({ GATEWAY_EXCHANGES: 'binance', GATEWAY_MOVERS_INTERVAL_MS: '300', GATEWAY_HEALTH_INTERVAL_MS: '500' }, { page });
  guarded = new GatewayHarness();
  await guarded.start({ GATEWAY_EXCHANGES: 'binance', GATEWAY_AUTH: 'token', GATEWAY_TOKEN_SECRET: TOKEN_KEY }, { page });
  collector = new Collector({
    config: loadCollectorConfig({ BINANCE_WS_URL: sim.wsUrl, BINANCE_REST_URL: sim.restUrl, REDIS_URL: open.redis.url, HTTP_PORT: '0', COLLECTOR_ID, LOG_LEVEL: 'ERROR', SYMBOLS: 'ALL' }),
    heartbeatIntervalMs: 500,
  });
  await collector.start();
  await eventually(async () => (await open.redis.client.keys('rates:binance:*USDT')).length >= 20, 'the collector to write rates', 60_000);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  mkdirSync(REPORTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
  await sim?.stop();
  await guarded?.stop();
  await open?.stop();
});

async function newPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // Requests anywhere but this gateway would be a CDN or a leak: the page must need none.
  await page.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => {
    errors.push(`request outside the gateway: ${route.request().url()}`);
    return route.abort();
  });
  await page.goto(url);
  return { page, errors };
}

const priceOf = (page: Page, symbol: string) => page.locator(`.row[data-symbol="${symbol}"] .price`).textContent();

describe('the live dashboard page in Chromium', () => {
  it('shows live prices that change, movers, the collector health and a chart', async () => {
    // Prepare
    const { page, errors } = await newPage(`${open.httpUrl}/`);

    // Act
    await page.locator('#connection', { hasText: 'open' }).waitFor({ timeout: 30_000 });
    await page.locator('.row').first().waitFor({ timeout: 30_000 });
    // The busiest symbol of the simulator trades many times a second.
    const symbol = (await page.locator('.row').first().getAttribute('data-symbol'))!;
    const first = await priceOf(page, symbol);
    const moved = await eventually(async () => {
      const now = await priceOf(page, symbol);
      return now !== first && now !== null && now !== '' ? now : undefined;
    }, `the price of ${symbol} to change on the page`, 30_000);
    await page.locator('.mover-window[data-window="1m"] .gainers li').first().waitFor({ timeout: 30_000 });
    await page.locator('#health tr', { hasText: COLLECTOR_ID }).waitFor({ timeout: 30_000 });
    await page.locator(`.row[data-symbol="${symbol}"]`).click();
    await page.locator('#chart canvas').first().waitFor({ timeout: 30_000 });
    await page.locator('#latency-p50', { hasText: 'ms' }).waitFor({ timeout: 30_000 });
    // A few seconds more, so the chart and ages have something to show in the screenshot.
    await page.waitForTimeout(4_000);
    await page.screenshot({ path: join(REPORTS, 'gateway-page.png') });

    // Assert
    expect(Number(moved)).toBeGreaterThan(0);
    expect(Number(await page.locator('#symbol-count').textContent())).toBeGreaterThanOrEqual(20);
    expect(await page.locator('#chart-title').textContent()).toContain(symbol);
    expect(await page.locator('.mover-window[data-window="5m"] .gainers li').count()).toBeGreaterThan(0);
    expect(await page.locator('#health tr', { hasText: COLLECTOR_ID }).locator('td').nth(1).textContent()).toBe('running');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('is refused with a forged token, says so, and streams with a valid one', async () => {
    // Prepare
    const forged = signStreamToken({ secret: 'some-other-signing-key-0123456789abcdef', ttlMs: 600_000 }).token;
    const valid = signStreamToken({ secret: TOKEN_KEY, ttlMs: 600_000 }).token;

    // Act
    const refused = await newPage(`${guarded.httpUrl}/?token=${forged}`);
    await refused.page.locator('#connection', { hasText: 'refused' }).waitFor({ timeout: 30_000 });
    await refused.page.screenshot({ path: join(REPORTS, 'gateway-page-token-refused.png') });
    const rowsWhileRefused = await refused.page.locator('.row').count();
    const accepted = await newPage(`${guarded.httpUrl}/?token=${valid}`);
    await accepted.page.locator('#connection', { hasText: 'open' }).waitFor({ timeout: 30_000 });
    await accepted.page.locator('.row').first().waitFor({ timeout: 30_000 });

    // Assert
    expect(rowsWhileRefused).toBe(0);
    expect(await refused.page.locator('#notice').textContent()).toContain('refused the token');
    expect(await guarded.metric('gateway_auth_refusals_total', { reason: 'forged', transport: 'ws' })).toBeGreaterThan(0);
    expect([...refused.errors, ...accepted.errors]).toEqual([]);
    await refused.page.context().close();
    await accepted.page.context().close();
  });
});
