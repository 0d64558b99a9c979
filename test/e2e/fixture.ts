/**
 * The per-test page fixture of the editor's end-to-end tests and helpers that assert. Apart from
 * browser.ts because they need vitest, which only a test file may load (the UI benchmark imports
 * browser.ts).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { RunningServer } from '../../engine/host/server.ts';
import { launchBrowser, startUiServer } from './browser.ts';

export interface PageFixture {
  browser: Browser;
  server: RunningServer;
  workspace: string;
  context: BrowserContext;
  page: Page;
}

/**
 * One `rlc serve` and one browser per test file, a fresh 1440×900 page per test. `bind` gets the
 * fixture each time a part of it is made (the file keeps its own `page`, `server`, … variables).
 */
export function pagePerTest(bind: (fixture: PageFixture) => void): void {
  const fixture = {} as PageFixture;
  beforeAll(async () => {
    ({ server: fixture.server, workspace: fixture.workspace } = await startUiServer());
    fixture.browser = await launchBrowser();
    bind(fixture);
  }, 60_000);
  beforeEach(async () => {
    fixture.context = await fixture.browser.newContext({ viewport: { width: 1440, height: 900 } });
    fixture.page = await fixture.context.newPage();
    bind(fixture);
  });
  afterEach(async () => {
    await fixture.context?.close();
  });
  afterAll(async () => {
    await fixture.browser?.close();
    await fixture.server?.close();
  });
}

/** Opens a template from the gallery that shows on a fresh page, and waits for its blocks. */
export async function openTemplate(page: Page, file: string): Promise<void> {
  // The gallery opens by itself on a fresh page (once the template list has loaded).
  await expect.poll(() => page.getByTestId(`template-${file}`).count(), { timeout: 10_000 }).toBe(1);
  await page.getByTestId(`template-${file}`).click();
  await expect.poll(() => page.getByTestId('node-env').count()).toBe(1);
  await expect.poll(() => page.getByTestId('node-adam').count()).toBe(1);
  // Templates open at a readable zoom from their left edge; these tests want every block in view.
  await page.getByTestId('fit-view').click();
  await page.waitForTimeout(400);
}

/**
 * One `rlc serve`, browser and page for a whole test file whose tests build on each other (open,
 * edit, run, save): the page is opened on the server's URL once. `bind` as in pagePerTest.
 */
export function pageForFile(bind: (fixture: Omit<PageFixture, 'context'>) => void): void {
  const fixture = {} as Omit<PageFixture, 'context'>;
  beforeAll(async () => {
    ({ server: fixture.server, workspace: fixture.workspace } = await startUiServer());
    fixture.browser = await launchBrowser();
    fixture.page = await fixture.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await fixture.page.goto(fixture.server.url);
    bind(fixture);
  }, 60_000);
  afterAll(async () => {
    await fixture.browser?.close();
    await fixture.server?.close();
  });
}
