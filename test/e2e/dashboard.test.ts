import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../localstack/env';
import { Collector, loadCollectorConfig } from '../../services/collector';
import { DEFAULT_GATEWAY_EXCHANGES } from '../../services/gateway/config';
import { DashboardPage } from '../../services/gateway/static-page';
import { rateKey, rateStateFromHash, type RateState } from '../../services/shared/rates';
import { signStreamToken } from '../../services/gateway/tokens';
import { startSimulator, type SimulatorHandle } from '../../services/simulator';
import { eventually, GatewayHarness } from '../integration/gateway/harness';
import { lockChannels } from '../support';

/**
 * The live dashboard in a real browser (Debian's Chromium through
 * playwright-core; `npm test` installs it or CHROMIUM names one) against the
 * local pipeline's streaming half: the exchange simulator, a collector writing
 * Redis, and the gateway serving the page it built with esbuild. Screenshots go
 * to reports/ (gateway-page.png, gateway-page-token-refused.png,
 * gateway-page-exchange-empty.png, gateway-page-exchanges.png).
 *
 * The okx and bybit rates of the three-exchange page are the collector's
 * binance rates mirrored a little apart by the collector's own Redis writer, in
 * this file's db index, so the test decides when each exchange has data. The
 * `rates:okx` and `rates:bybit` channels are shared by every db index, so this
 * file holds the channel lock other files that publish there take too
 * (lockChannels), and the page is read for "no data from bybit" right after it
 * loads, before this file writes any bybit rate.
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
let multi: GatewayHarness;
let browser: Browser;
const feeds: Array<{ stop(): Promise<void> }> = [];
let releaseChannels: (() => Promise<void>) | undefined;

beforeAll(async () => {
  // "no data from bybit" must not hear the okx / bybit collectors of other test files (pub/sub ignores db indexes).
  releaseChannels = await lockChannels('okx-bybit');
  const page = await DashboardPage.load(undefined);
  sim = await startSimulator({ port: 0, symbols: 60, rate: 600, seed: 5, logLevel: 'ERROR' });
  open = new GatewayHarness();
  await open.start({ GATEWAY_EXCHANGES: 'binance', GATEWAY_MOVERS_INTERVAL_MS: '300', GATEWAY_HEALTH_INTERVAL_MS: '500' }, { page });
  guarded = new GatewayHarness();
  await guarded.start({ GATEWAY_EXCHANGES: 'binance', GATEWAY_AUTH: 'token', GATEWAY_TOKEN_SECRET: TOKEN_KEY }, { page });
  // Same db index (each harness flushes it at start, so all start before the collector writes).
  multi = new GatewayHarness();
  await multi.start({ GATEWAY_EXCHANGES: DEFAULT_GATEWAY_EXCHANGES.join(','), GATEWAY_MOVERS_INTERVAL_MS: '300', GATEWAY_HEALTH_INTERVAL_MS: '500' }, { page });
  collector = new Collector({
    config: loadCollectorConfig({ BINANCE_WS_URL: sim.wsUrl, BINANCE_REST_URL: sim.restUrl, REDIS_URL: open.redis.url, HTTP_PORT: '0', COLLECTOR_ID, LOG_LEVEL: 'ERROR', SYMBOLS: 'ALL' }),
    heartbeatIntervalMs: 500,
  });
  await collector.start();
  await eventually(async () => (await open.redis.client.keys('rates:binance:*USDT')).length >= 20, 'the collector to write rates', 60_000);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  mkdirSync(REPORTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  for (const feed of feeds) await feed.stop();
  await collector?.stop();
  await sim?.stop();
  await multi?.stop();
  await guarded?.stop();
  await open?.stop();
  await releaseChannels?.();
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

/**
 * Writes the collector's binance rates of `symbols` again under `exchange`, priced `factor` apart,
 * every 250 ms, so that exchange streams live like one with a collector.
 */
function mirror(exchange: string, factor: number, symbols: readonly string[]): void {
  let running = true;
  const loop = (async () => {
    while (running) {
      const now = Date.now();
      const states: RateState[] = [];
      for (const symbol of symbols) {
        const state = rateStateFromHash(symbol, await multi.redis.client.hgetall(rateKey('binance', symbol)));
        if (!state) continue;
        const decimals = state.priceText.split('.')[1]?.length ?? 0;
        states.push({ ...state, priceText: (Number(state.priceText) * factor).toFixed(decimals), ts: now, tradeTs: now, flags: [] });
      }
      await multi.writeTo(exchange, ...states);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  feeds.push({
    async stop() {
      running = false;
      await loop;
    },
  });
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

  it('shows the three exchanges: a tab each, "no data" for one without rates until they arrive, and a pair side by side with its spread', async () => {
    // Prepare: okx quotes 40 binance pairs 0.04 % higher; bybit nothing yet.
    const pairs = (await multi.redis.client.keys('rates:binance:*USDT')).map((key) => key.slice('rates:binance:'.length)).sort();
    const okxPairs = [...new Set(['BTCUSDT', ...pairs.slice(0, 40)])];
    const bybitPairs = [...new Set(['BTCUSDT', ...pairs.slice(0, 20)])];
    mirror('okx', 1.0004, okxPairs);
    await eventually(async () => (await multi.redis.client.keys('rates:okx:*USDT')).length >= 20, 'okx rates in Redis', 30_000);
    const { page, errors } = await newPage(`${multi.httpUrl}/?exchange=bybit`);

    // Act: bybit without data
    await page.locator('#connection', { hasText: 'open' }).waitFor({ timeout: 30_000 });
    await page.locator('#grid-empty', { hasText: 'no data from bybit' }).waitFor({ timeout: 30_000 });
    await page.locator('#compare tr[data-exchange="okx"] td.price', { hasText: /\d/ }).waitFor({ timeout: 30_000 });
    const emptyTab = await page.locator('#tab-bybit .tab-count').textContent();
    const emptyRow = await page.locator('#compare tr[data-exchange="bybit"]').textContent();
    const emptyMovers = await page.locator('.mover-window[data-window="1m"] .mover-note').textContent();
    await page.screenshot({ path: join(REPORTS, 'gateway-page-exchange-empty.png') });
    // ...then its rates arrive, 0.03 % lower, and fill the open tab live.
    mirror('bybit', 0.9997, bybitPairs);
    await page.locator('.row').first().waitFor({ timeout: 30_000 });
    const bybitRows = await page.locator('#tab-bybit .tab-count').textContent();
    // Keyboard only: Home moves to the first tab; the pair is typed into the comparison.
    await page.locator('#tab-bybit').focus();
    await page.keyboard.press('Home');
    await page.locator('#pair').fill('btcusdt');
    await page.locator('#pair').press('Enter');
    await page.locator('#spread', { hasText: 'high' }).waitFor({ timeout: 30_000 });
    await page.locator('.mover-window[data-window="1m"] .gainers li').first().waitFor({ timeout: 30_000 });
    await page.locator('#chart canvas').first().waitFor({ timeout: 30_000 });
    // A few seconds more, so the chart and the live comparison have moved in the screenshot.
    await page.waitForTimeout(3_000);
    await page.screenshot({ path: join(REPORTS, 'gateway-page-exchanges.png') });
    const tabs = await page.locator('#exchange-tabs [role="tab"]').evaluateAll((elements) => elements.map((e) => [e.querySelector('.tab-name')?.textContent, e.getAttribute('aria-selected')]));
    // One read of the comparison, so its rows and its spread line are of the same frame.
    const compared = await page.locator('section.compare').evaluate((section) => ({
      rows: Object.fromEntries([...section.querySelectorAll('#compare tr')].map((row) => [row.getAttribute('data-exchange'), row.querySelector('td.price')?.textContent ?? ''])),
      spread: section.querySelector('#spread')?.textContent ?? '',
    }));

    // Assert
    expect(emptyTab).toBe('no data');
    expect(emptyRow).toContain('no data from bybit');
    expect(emptyMovers).toBe('no data from bybit');
    expect(Number(bybitRows)).toBe(bybitPairs.length);
    expect(tabs).toEqual([
      ['binance', 'true'],
      ['okx', 'false'],
      ['bybit', 'false'],
    ]);
    expect(new URL(page.url()).searchParams.get('exchange')).toBe('binance');
    expect(await page.locator('#chart-title').textContent()).toBe('BTCUSDT · binance');
    // Not which exchange is high: another test's collector on this Redis may publish on rates:okx too.
    const [, high, low] = /^spread [0-9.]+ \([0-9.]+ %\) · high (binance|okx|bybit) · low (binance|okx|bybit)$/.exec(compared.spread) ?? [];
    expect(Object.keys(compared.rows)).toEqual(['binance', 'okx', 'bybit']);
    for (const price of Object.values(compared.rows)) expect(price).toMatch(/^[0-9]+\.[0-9]+/);
    expect(compared.rows[high!]).toContain('high');
    expect(compared.rows[low!]).toContain('low');
    expect(Number.parseFloat(compared.rows[high!]!)).toBeGreaterThan(Number.parseFloat(compared.rows[low!]!));
    expect(Number(await page.locator('#symbol-count').textContent())).toBeGreaterThanOrEqual(20);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
