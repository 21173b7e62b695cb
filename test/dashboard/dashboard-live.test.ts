// Headless Chromium (Debian `chromium`, driven by playwright-core) opens /dashboard on the
// real server with the simulator running: the live WebSocket feed connects, figures change,
// books and trades render, no script errors. Saves a screenshot (docs/img/dashboard.png
// with UPDATE_SCREENSHOT=1).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startLiveServer, type TestServer } from '../metrics/fixtures/live.js';
import { findTool, missingToolTest } from '../metrics/fixtures/tools.js';

const browserPath = findTool('chromium', ['/usr/bin/chromium']);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
// The committed screenshot is refreshed only on request (UPDATE_SCREENSHOT=1): a test run
// must not dirty the work tree. Otherwise the shot goes to the temp dir.
const SHOT = process.env.UPDATE_SCREENSHOT === '1'
  ? path.join(ROOT, 'docs', 'img', 'dashboard.png')
  : path.join(os.tmpdir(), `simex-dashboard-${process.pid}.png`);

if (!browserPath) missingToolTest('chromium', 'chromium');
else {
  describe('dashboard in headless Chromium', () => {
    let s: TestServer;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      s = await startLiveServer();
      browser = await chromium.launch({
        executablePath: browserPath!,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${s.base}/dashboard`);
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      await s?.stop();
    });

    it('connects to the live WebSocket feed and shows health', async () => {
      await page.waitForFunction(`document.querySelector('[data-testid=feed-state]')?.textContent === 'websocket'`, null, { timeout: 20_000 });
      await page.waitForFunction(`document.querySelector('[data-testid=overall]')?.textContent === 'healthy'`, null, { timeout: 20_000 });
      const services = await page.locator('#services li .name').allTextContents();
      expect(services).toEqual(expect.arrayContaining(['metrics', 'simulation']));
    });

    it('figures change while the simulator runs', async () => {
      const read = () => page.locator('[data-testid=order-count]').textContent();
      const first = await read();
      expect(first).toMatch(/^[\d,]+$/);
      await page.waitForFunction(`document.querySelector('[data-testid=order-count]')?.textContent !== ${JSON.stringify(first)}`, null, { timeout: 20_000 });
      const second = await read();
      expect(Number(second!.replace(/,/g, ''))).toBeGreaterThan(Number(first!.replace(/,/g, '')));
      expect(await page.locator('[data-testid=orders-per-sec]').textContent()).toMatch(/^\d+(\.\d)?$/);
    });

    it('renders depth ladders, trades, shards and charts', async () => {
      for (const sym of ['BTCUSD', 'ETHUSD', 'ADAUSD']) {
        const card = page.locator(`.book[data-symbol=${sym}]`);
        await card.locator('.ladder tr.bid').first().waitFor({ timeout: 20_000 });
        await card.locator('.ladder tr.ask').first().waitFor({ timeout: 20_000 });
        await card.locator('.tape td.t').first().waitFor({ timeout: 30_000 });
      }
      expect(await page.locator('#shards tbody tr .dot.up').count()).toBeGreaterThan(0);
      expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(4);
    });

    it('has no script errors and saves a screenshot', async () => {
      // Let the charts collect some seconds of live data for the picture.
      await page.waitForTimeout(8000);
      mkdirSync(path.dirname(SHOT), { recursive: true });
      await page.screenshot({ path: SHOT, fullPage: true });
      expect(pageErrors).toEqual([]);
    });
  });
}
