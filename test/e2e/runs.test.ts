/** The Runs tab in chromium: two past runs of the workspace listed, checked, and their return curves overlaid. */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../engine/host/server.ts';
import { tinyRun } from '../helpers.ts';
import { launchBrowser, screenshot, startUiServer } from './browser.ts';

let browser: Browser;
let server: RunningServer;
let workspace: string;
let page: Page;


beforeAll(async () => {
  ({ server, workspace } = await startUiServer());
  await tinyRun(workspace, 'a', 1);
  await tinyRun(workspace, 'b', 2);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(server.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('runs list in chromium', () => {
  it('lists the workspace runs and overlays two return curves', async () => {
    await page.getByTestId('template-ppo-clip.cartpole.rlgraph.json').click();
    await page.getByTestId('tab-runs').click();
    const list = page.getByTestId('runs-list');
    await expect.poll(() => list.getByTestId('run-row-a').count()).toBe(1);
    await expect.poll(() => list.getByTestId('run-row-b').count()).toBe(1);
    expect(await page.getByTestId('runs-overlay').count()).toBe(0);
    await page.getByTestId('run-compare-a').check();
    await page.getByTestId('run-compare-b').check();
    const overlay = page.getByTestId('runs-overlay');
    await expect.poll(() => overlay.getAttribute('data-series')).toBe('2');
    expect(await overlay.locator('canvas').count()).toBe(1);
    expect(await page.getByTestId('runs-legend-a').textContent()).toBe('a');
    await screenshot(page, 'runs-overlay');
    await page.getByTestId('run-compare-b').uncheck();
    await expect.poll(() => page.getByTestId('runs-overlay').count()).toBe(0);
  });
});
